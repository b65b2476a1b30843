package deploy

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/nstrace/nstrace/batch"
)

// root is the repository's top, where the Dockerfiles are.
const root = ".."

// The image and where it runs from: distroless's static base (no libc, no
// shell) and its nonroot user.
const (
	base      = "gcr.io/distroless/static-debian12:nonroot"
	nonrootID = 65532
	binary    = "/nstrace"
)

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// finalStage gives the instructions of a Dockerfile's last stage, comments
// and blank lines left out.
func finalStage(dockerfile []byte) []string {
	var stage []string
	for line := range strings.Lines(string(dockerfile)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "FROM "):
			stage = []string{line}
		default:
			stage = append(stage, line)
		}
	}
	return stage
}

// TestDockerfiles: the image built from source (Dockerfile) and the
// release's (Dockerfile.release) end alike, on distroless as nonroot, and
// the source build uses the Go of go.mod, static and -trimpath.
func TestDockerfiles(t *testing.T) {
	src, rel := read(t, "Dockerfile"), read(t, "Dockerfile.release")
	want := []string{"FROM " + base, "COPY --from=build /out/nstrace " + binary, "USER nonroot:nonroot", `ENTRYPOINT ["` + binary + `"]`}
	if got := finalStage(src); !slices.Equal(got, want) {
		t.Errorf("Dockerfile's final stage:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	want[1] = "ARG TARGETPLATFORM"
	want = slices.Insert(want, 2, "COPY ${TARGETPLATFORM}/nstrace "+binary) // GoReleaser's context
	if got := finalStage(rel); !slices.Equal(got, want) {
		t.Errorf("Dockerfile.release:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	goLine := regexp.MustCompile(`(?m)^go (1\.\d+)`).FindSubmatch(read(t, "go.mod"))
	if goLine == nil {
		t.Fatal("go.mod has no go line")
	}
	if from := "FROM golang:" + string(goLine[1]) + " AS build\n"; !bytes.Contains(src, []byte(from)) {
		t.Errorf("Dockerfile does not build with the Go of go.mod: want %q", from)
	}
	if run := "RUN CGO_ENABLED=0 go build -trimpath "; !bytes.Contains(src, []byte(run)) {
		t.Errorf("Dockerfile does not build as TestStatic does: want %q", run)
	}
}

// buildDir holds the binary build builds, for the package's tests.
var buildDir string

func TestMain(m *testing.M) {
	var err error
	if buildDir, err = os.MkdirTemp("", "nstrace-deploy-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(buildDir)
	os.Exit(code)
}

// build builds nstrace as Dockerfile's RUN line does, once for the
// package's tests, and gives the binary's path.
var build = sync.OnceValues(func() (string, error) {
	out := filepath.Join(buildDir, "nstrace")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./cmd/nstrace")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(string(msg))
	}
	return out, nil
})

// builtBinary gives the binary build built, skipping with -short.
func builtBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds nstrace; skipped with -short")
	}
	path, err := build()
	if err != nil {
		t.Fatalf("CGO_ENABLED=0 go build -trimpath ./cmd/nstrace: %v", err)
	}
	return path
}

// TestStatic proves that the binary built as the Dockerfile builds it runs
// on a base with no libc: no program interpreter, no shared library.
func TestStatic(t *testing.T) {
	path := builtBinary(t)
	f, err := elf.Open(path)
	if err != nil {
		t.Skipf("not an ELF binary (built for %v?): %v", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a program interpreter (PT_INTERP): it is dynamically linked", path)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("%s needs shared libraries %q (%v): want none", path, libs, err)
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "nstrace ") {
		t.Errorf("%s --version = %q, %v", path, out, err)
	}
}

// goreleaser is what the tests read of .goreleaser.yaml; `goreleaser
// check` validates the rest.
type goreleaser struct {
	Builds []struct {
		ID     string   `yaml:"id"`
		Main   string   `yaml:"main"`
		Env    []string `yaml:"env"`
		Goos   []string `yaml:"goos"`
		Goarch []string `yaml:"goarch"`
		Flags  []string `yaml:"flags"`
	} `yaml:"builds"`
	Dockers   []any `yaml:"dockers"`
	DockersV2 []struct {
		IDs        []string `yaml:"ids"`
		Dockerfile string   `yaml:"dockerfile"`
		Images     []string `yaml:"images"`
		Platforms  []string `yaml:"platforms"`
	} `yaml:"dockers_v2"`
}

// TestGoreleaser: the release builds its image (dockers_v2, which
// GoReleaser v2 keeps; dockers is being phased out and fails `goreleaser
// check`) from Dockerfile.release and static linux binaries of every
// platform the image has.
func TestGoreleaser(t *testing.T) {
	var g goreleaser
	if err := yaml.Unmarshal(read(t, ".goreleaser.yaml"), &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Dockers) > 0 {
		t.Error(".goreleaser.yaml has dockers: use dockers_v2")
	}
	if len(g.DockersV2) != 1 {
		t.Fatalf(".goreleaser.yaml has %d dockers_v2 images, want 1", len(g.DockersV2))
	}
	d := g.DockersV2[0]
	if d.Dockerfile != "Dockerfile.release" {
		t.Errorf("dockers_v2 builds from %q, want Dockerfile.release", d.Dockerfile)
	}
	if !slices.Equal(d.Images, []string{image}) {
		t.Errorf("dockers_v2 images = %q, want [%s], the manifests' image", d.Images, image)
	}
	if len(d.IDs) != 1 || len(d.Platforms) == 0 {
		t.Fatalf("dockers_v2: ids %q, platforms %q: want one build and its platforms", d.IDs, d.Platforms)
	}
	for _, b := range g.Builds {
		if b.ID != d.IDs[0] {
			continue
		}
		if b.Main != "./cmd/nstrace" || !slices.Contains(b.Env, "CGO_ENABLED=0") || !slices.Contains(b.Flags, "-trimpath") {
			t.Errorf("build %s: main %q, env %q, flags %q: want ./cmd/nstrace, CGO_ENABLED=0 and -trimpath, as Dockerfile", b.ID, b.Main, b.Env, b.Flags)
		}
		for _, p := range d.Platforms {
			os, arch, _ := strings.Cut(p, "/")
			if !slices.Contains(b.Goos, os) || !slices.Contains(b.Goarch, arch) {
				t.Errorf("the image is for %s, which build %s does not build (goos %q, goarch %q)", p, b.ID, b.Goos, b.Goarch)
			}
		}
		return
	}
	t.Errorf("dockers_v2 ids %q: no such build", d.IDs)
}

// image is the repository of the release's image, which the manifests run.
const image = "ghcr.io/nstrace/nstrace"

// The parts of Kubernetes objects the manifests use, spelled as the API
// spells them: decoded with unknown fields refused, so a misspelt field (or
// one at the wrong level) fails here, where Kubernetes would ignore it.
type (
	meta struct {
		Name        string            `yaml:"name"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	}
	podTemplate struct {
		Metadata meta    `yaml:"metadata"`
		Spec     podSpec `yaml:"spec"`
	}
	podSpec struct {
		RestartPolicy                string `yaml:"restartPolicy"`
		AutomountServiceAccountToken *bool  `yaml:"automountServiceAccountToken"`
		SecurityContext              struct {
			RunAsNonRoot   *bool `yaml:"runAsNonRoot"`
			RunAsUser      int   `yaml:"runAsUser"`
			RunAsGroup     int   `yaml:"runAsGroup"`
			SeccompProfile struct {
				Type string `yaml:"type"`
			} `yaml:"seccompProfile"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []volume    `yaml:"volumes"`
	}
	volume struct {
		Name      string `yaml:"name"`
		ConfigMap struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	}
	volumeMount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	}
	container struct {
		Name  string   `yaml:"name"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
			Protocol      string `yaml:"protocol"`
		} `yaml:"ports"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []volumeMount `yaml:"volumeMounts"`
	}
	probe struct {
		HTTPGet struct {
			Path string `yaml:"path"`
			Port string `yaml:"port"` // a number or a port's name
		} `yaml:"httpGet"`
		InitialDelaySeconds int `yaml:"initialDelaySeconds"`
		PeriodSeconds       int `yaml:"periodSeconds"`
		TimeoutSeconds      int `yaml:"timeoutSeconds"`
	}
	job struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   meta   `yaml:"metadata"`
		Spec       struct {
			CompletionMode       string `yaml:"completionMode"`
			Completions          int    `yaml:"completions"`
			Parallelism          int    `yaml:"parallelism"`
			BackoffLimitPerIndex *int   `yaml:"backoffLimitPerIndex"`
			PodFailurePolicy     struct {
				Rules []struct {
					Action      string `yaml:"action"`
					OnExitCodes *struct {
						ContainerName string `yaml:"containerName"`
						Operator      string `yaml:"operator"`
						Values        []int  `yaml:"values"`
					} `yaml:"onExitCodes"`
					OnPodConditions []struct {
						Type string `yaml:"type"`
					} `yaml:"onPodConditions"`
				} `yaml:"rules"`
			} `yaml:"podFailurePolicy"`
			TTLSecondsAfterFinished int         `yaml:"ttlSecondsAfterFinished"`
			Template                podTemplate `yaml:"template"`
		} `yaml:"spec"`
	}
	deployment struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   meta   `yaml:"metadata"`
		Spec       struct {
			Replicas int `yaml:"replicas"`
			Strategy struct {
				Type string `yaml:"type"`
			} `yaml:"strategy"`
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Template podTemplate `yaml:"template"`
		} `yaml:"spec"`
	}
)

// decodeStrict decodes the one document of data into v, refusing fields v
// does not have.
func decodeStrict(t *testing.T, name string, data []byte, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// checkPod checks what every pod of nstrace needs: one container, the
// release's image, run as distroless's nonroot user with nothing more
// than it needs, and its files on volumes the pod has. It gives the
// container.
func checkPod(t *testing.T, name string, p podSpec) container {
	t.Helper()
	sc := p.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser != nonrootID || sc.RunAsGroup != nonrootID || sc.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("%s: pod securityContext %+v: want runAsNonRoot, user and group %d (distroless's nonroot), seccomp RuntimeDefault", name, sc, nonrootID)
	}
	if p.AutomountServiceAccountToken == nil || *p.AutomountServiceAccountToken {
		t.Errorf("%s: the pod mounts a service account token, which nstrace never uses", name)
	}
	if len(p.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", name, len(p.Containers))
	}
	c := p.Containers[0]
	if repo, _, _ := strings.Cut(c.Image, ":"); repo != image {
		t.Errorf("%s: image %q, want the release's, %s", name, c.Image, image)
	}
	csc := c.SecurityContext
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem || !slices.Equal(csc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("%s: container securityContext %+v: want no privilege escalation, a read-only root filesystem, every capability dropped", name, csc)
	}
	if c.Resources.Limits["memory"] == "" || c.Resources.Requests["memory"] == "" {
		t.Errorf("%s: resources %+v: want a memory request and limit", name, c.Resources)
	}
	for _, m := range c.VolumeMounts {
		if !slices.ContainsFunc(p.Volumes, func(v volume) bool { return v.Name == m.Name }) {
			t.Errorf("%s: volume mount %s: the pod has no such volume", name, m.Name)
		}
	}
	onVolume := func(m volumeMount) bool { return strings.HasPrefix(flagValue(c.Args, "-f"), m.MountPath+"/") }
	if f := flagValue(c.Args, "-f"); f != "" && !slices.ContainsFunc(c.VolumeMounts, onVolume) {
		t.Errorf("%s: -f %s is on no volume of the pod", name, f)
	}
	return c
}

// flagValue gives the value of flag in args ("-f FILE" or "-f=FILE"), ""
// for none.
func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

// checkFlags runs the binary with the container's args and --help, which
// traces nothing: an unknown flag, or a bad value, exits 2.
func checkFlags(t *testing.T, name string, args []string) {
	t.Helper()
	out, err := exec.Command(builtBinary(t), append(slices.Clone(args), "--help")...).CombinedOutput()
	if err != nil {
		t.Errorf("%s: nstrace %s --help: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func TestIndexedJob(t *testing.T) {
	const name = "deploy/k8s/indexed-job.yaml"
	var j job
	decodeStrict(t, name, read(t, name), &j)
	s := j.Spec
	if j.APIVersion != "batch/v1" || j.Kind != "Job" || s.CompletionMode != "Indexed" {
		t.Errorf("%s: %s %s, completionMode %q: want a batch/v1 Job, Indexed", name, j.APIVersion, j.Kind, s.CompletionMode)
	}
	c := checkPod(t, name, s.Template.Spec)
	if s.Template.Spec.RestartPolicy != "Never" {
		t.Errorf("%s: restartPolicy %q: want Never, which a pod failure policy needs", name, s.Template.Spec.RestartPolicy)
	}
	shard, err := batch.ParseShard(flagValue(c.Args, "--shard"), func(string) (string, bool) { return "0", true })
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !strings.HasPrefix(flagValue(c.Args, "--shard"), "auto/") || shard.N != s.Completions {
		t.Errorf("%s: --shard %s with completions %d: want auto/%d", name, flagValue(c.Args, "--shard"), s.Completions, s.Completions)
	}
	if s.Parallelism < 1 || s.Parallelism > s.Completions {
		t.Errorf("%s: parallelism %d: want 1 to completions, %d", name, s.Parallelism, s.Completions)
	}
	if flagValue(c.Args, "-o") != "jsonl" || flagValue(c.Args, "--fail-on") != "never" {
		t.Errorf("%s: args %q: want -o jsonl and --fail-on never", name, c.Args)
	}
	// Exit codes 1 and 2 end the shard's index without a retry: the
	// output is whole, and a retry would trace it again.
	var verdicts []int
	for _, r := range s.PodFailurePolicy.Rules {
		if r.Action == "FailIndex" && r.OnExitCodes != nil && r.OnExitCodes.Operator == "In" && r.OnExitCodes.ContainerName == c.Name {
			verdicts = append(verdicts, r.OnExitCodes.Values...)
		}
	}
	if slices.Sort(verdicts); !slices.Equal(verdicts, []int{1, 2}) || s.BackoffLimitPerIndex == nil {
		t.Errorf("%s: FailIndex on exit codes %v, backoffLimitPerIndex %v: want 1 and 2, and a backoffLimitPerIndex", name, verdicts, s.BackoffLimitPerIndex)
	}
	checkFlags(t, name, c.Args)
}

func TestWatchDeployment(t *testing.T) {
	const name = "deploy/k8s/watch-deployment.yaml"
	var d deployment
	decodeStrict(t, name, read(t, name), &d)
	s := d.Spec
	if d.APIVersion != "apps/v1" || d.Kind != "Deployment" || s.Replicas != 1 {
		t.Errorf("%s: %s %s with %d replicas: want an apps/v1 Deployment of 1", name, d.APIVersion, d.Kind, s.Replicas)
	}
	for k, v := range s.Selector.MatchLabels {
		if s.Template.Metadata.Labels[k] != v {
			t.Errorf("%s: the selector's %s=%s is not a label of the pods", name, k, v)
		}
	}
	c := checkPod(t, name, s.Template.Spec)
	if len(c.Args) == 0 || c.Args[0] != "watch" {
		t.Fatalf("%s: args %q: want nstrace watch", name, c.Args)
	}
	a := s.Template.Metadata.Annotations
	port, err := strconv.Atoi(a["prometheus.io/port"])
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" || err != nil {
		t.Errorf("%s: annotations %q: want prometheus.io/scrape \"true\", port, path /metrics", name, a)
	}
	_, listen, _ := strings.Cut(flagValue(c.Args, "--listen"), ":")
	if listen != strconv.Itoa(port) {
		t.Errorf("%s: --listen %s, but the scrape port is %d", name, flagValue(c.Args, "--listen"), port)
	}
	portName := ""
	for _, p := range c.Ports {
		if p.ContainerPort == port {
			portName = p.Name
		}
	}
	if portName == "" {
		t.Errorf("%s: the container has no port %d", name, port)
	}
	for what, p := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet.Path != "/healthz" || (p.HTTPGet.Port != portName && p.HTTPGet.Port != strconv.Itoa(port)) {
			t.Errorf("%s: %s probe %+v: want GET /healthz on port %d", name, what, p, port)
		}
	}
	// Without a watch command, "watch" would be a NAME, and --help the
	// root command's.
	if out, _ := exec.Command(builtBinary(t), "watch", "--help").CombinedOutput(); !strings.Contains(string(out), "Usage:\n  nstrace watch") {
		t.Skip("this nstrace has no watch command yet, so the flags of its Deployment are not checked")
	}
	checkFlags(t, name, c.Args)
}

// TestREADMEJob: the README shows the Indexed Job as the file has it.
func TestREADMEJob(t *testing.T) {
	file := string(read(t, "deploy/k8s/indexed-job.yaml"))
	i := strings.Index(file, "apiVersion:")
	if i < 0 {
		t.Fatal("indexed-job.yaml: no apiVersion")
	}
	if !strings.Contains(string(read(t, "README.md")), "```yaml\n"+file[i:]+"```\n") {
		t.Error("README.md does not show deploy/k8s/indexed-job.yaml (from apiVersion: on) in a yaml block")
	}
}
