package exit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil is approved", nil, 0},
		{"rejection", exit.Reject("view %q faults", "sale.view_order_form"), 1},
		{"bad input", exit.Input("spec.yaml:3: unknown field"), 2},
		{"infrastructure", exit.Infra("docker unreachable"), 2},
		{"wrapped keeps its code", fmt.Errorf("phase upgrade: %w", exit.Reject("exit 255")), 1},
		{"uncoded error cannot be a rejection", errors.New("boom"), 2},
		{"cancellation is an interruption", fmt.Errorf("restore: %w", context.Canceled), 130},
		{"WithCode does not override", exit.WithCode(2, exit.Reject("x")), 1},
		{"WithCode sets a code", exit.WithCode(130, errors.New("signal")), 130},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, exit.Code(tc.err))
		})
	}
}
