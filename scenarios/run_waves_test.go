package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWritingScenariosRunAfterReaders(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []*Step
		want  bool
	}{
		{"reads only", []*Step{{Method: "search_count"}, {Method: "read"}, {SQL: "SELECT 1"}, {Check: "views"}}, false},
		{"creates", []*Step{{Method: "search"}, {Method: "create"}}, true},
		{"business method", []*Step{{Method: "action_confirm"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, (&Scenario{Steps: tc.steps}).writes())
		})
	}
}
