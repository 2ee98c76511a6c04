package scenarios

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadReportsEveryProblemWithFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"testdata/bad/unknown_key.yaml", []string{`testdata/bad/unknown_key.yaml:7: unknown key "expcet" in step 1`}},
		{"testdata/bad/notyaml.yaml", []string{"testdata/bad/notyaml.yaml:4: not valid YAML"}},
		{"testdata/bad/semantic.yaml", []string{
			`testdata/bad/semantic.yaml:5: ${partner} is not captured by an earlier step that runs after the upgrade`,
			`testdata/bad/semantic.yaml:9: method "_compute_display_name" is private`,
			`testdata/bad/semantic.yaml:15: count: min 5 is above max 1`,
			`testdata/bad/semantic.yaml:16: unknown fault kind "kaboom"`,
			`testdata/bad/semantic.yaml:10: as: "nobody" is not a user of this scenario`,
			`testdata/bad/semantic.yaml:17: sql must be one read-only query`,
			`testdata/bad/semantic.yaml:18: unknown check "no_such_check"`,
			`testdata/bad/semantic.yaml:22: compare needs the step to run before and after: drop ` + "`when: after`",
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Load(t.Context(), []string{tc.file})
			var ps Problems
			require.True(t, errors.As(err, &ps), "want Problems, got %v", err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Len(t, ps, len(tc.want), "exactly the expected problems:\n%s", err)
		})
	}
}

func TestBuiltinAndExamplesLoad(t *testing.T) {
	set, err := Load(t.Context(), []string{"examples"}, WithBuiltin(true))
	require.NoError(t, err)
	names := map[string]bool{}
	for _, s := range set.Scenarios {
		names[s.Name] = true
	}
	for _, n := range []string{"builtin/server", "builtin/modules", "builtin/records", "builtin/views", "builtin/filestore", "builtin/neutralized"} {
		assert.True(t, names[n], n)
	}
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, set.Digest)

	again, err := Load(t.Context(), []string{"examples"}, WithBuiltin(true))
	require.NoError(t, err)
	assert.Equal(t, set.Digest, again.Digest, "the digest is stable")
	without, err := Load(t.Context(), []string{"examples"})
	require.NoError(t, err)
	assert.NotEqual(t, set.Digest, without.Digest, "the digest covers the built-in pack")
}

func TestDigestFollowsContentNotLayout(t *testing.T) {
	dir := t.TempDir()
	a := "scenario: a\nsteps:\n  - {model: res.partner, method: search_count, args: [[]], expect: {count: {min: 1}}}\n"
	b := "# moved and reformatted\nscenario: a\nsteps:\n  - model: res.partner\n    method: search_count\n    args: [[]]\n    expect:\n      count: {min: 1}\n"
	c := "scenario: a\nsteps:\n  - {model: res.partner, method: search_count, args: [[]], expect: {count: {min: 2}}}\n"
	digest := func(name, text string) string {
		p := dir + "/" + name
		require.NoError(t, writeFile(p, text))
		s, err := Load(t.Context(), []string{p})
		require.NoError(t, err)
		return s.Digest
	}
	assert.Equal(t, digest("a.yaml", a), digest("b.yaml", b))
	assert.NotEqual(t, digest("a.yaml", a), digest("c.yaml", c))
}
