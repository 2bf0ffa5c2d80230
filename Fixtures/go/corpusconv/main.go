// corpusconv converts Go's trace reader test corpus (GOROOT/src/internal/trace/testdata/tests/
// *.test: txtar files with an "expect" section, SUCCESS or FAILURE "regexp", and a "trace"
// section in Go's textual wire format) into binary traces plus expectations, so that the Swift
// tests can check every accept/reject expectation without Go.
//
// The text format and the wire encoding are implemented here from their description (event
// names, argument names, uvarint encoding); nothing is imported from Go's internal packages.
//
// Usage: go run . -goroot $(go env GOROOT) -out ../corpus
// Writes OUT/NAME.trace, OUT/NAME.expect ("accept" or "reject <regexp>") and OUT/manifest.txt.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

type spec struct {
	typ     byte
	args    []string
	isStack bool // followed by args[1] frame lines: pc= func= file= line=
	hasData bool // followed by a data="..." line; encoded as uvarint length + bytes
	minVer  int
}

var specs = map[string]spec{
	"EventBatch":          {1, []string{"gen", "m", "time", "size"}, false, false, 22},
	"Stacks":              {2, nil, false, false, 22},
	"Stack":               {3, []string{"id", "nframes"}, true, false, 22},
	"Strings":             {4, nil, false, false, 22},
	"String":              {5, []string{"id"}, false, true, 22},
	"CPUSamples":          {6, nil, false, false, 22},
	"CPUSample":           {7, []string{"time", "m", "p", "g", "stack"}, false, false, 22},
	"Frequency":           {8, []string{"freq"}, false, false, 22},
	"ProcsChange":         {9, []string{"dt", "procs_value", "stack"}, false, false, 22},
	"ProcStart":           {10, []string{"dt", "p", "p_seq"}, false, false, 22},
	"ProcStop":            {11, []string{"dt"}, false, false, 22},
	"ProcSteal":           {12, []string{"dt", "p", "p_seq", "m"}, false, false, 22},
	"ProcStatus":          {13, []string{"dt", "p", "pstatus"}, false, false, 22},
	"GoCreate":            {14, []string{"dt", "new_g", "new_stack", "stack"}, false, false, 22},
	"GoCreateSyscall":     {15, []string{"dt", "new_g"}, false, false, 22},
	"GoStart":             {16, []string{"dt", "g", "g_seq"}, false, false, 22},
	"GoDestroy":           {17, []string{"dt"}, false, false, 22},
	"GoDestroySyscall":    {18, []string{"dt"}, false, false, 22},
	"GoStop":              {19, []string{"dt", "reason_string", "stack"}, false, false, 22},
	"GoBlock":             {20, []string{"dt", "reason_string", "stack"}, false, false, 22},
	"GoUnblock":           {21, []string{"dt", "g", "g_seq", "stack"}, false, false, 22},
	"GoSyscallBegin":      {22, []string{"dt", "p_seq", "stack"}, false, false, 22},
	"GoSyscallEnd":        {23, []string{"dt"}, false, false, 22},
	"GoSyscallEndBlocked": {24, []string{"dt"}, false, false, 22},
	"GoStatus":            {25, []string{"dt", "g", "m", "gstatus"}, false, false, 22},
	"STWBegin":            {26, []string{"dt", "kind_string", "stack"}, false, false, 22},
	"STWEnd":              {27, []string{"dt"}, false, false, 22},
	"GCActive":            {28, []string{"dt", "gc_seq"}, false, false, 22},
	"GCBegin":             {29, []string{"dt", "gc_seq", "stack"}, false, false, 22},
	"GCEnd":               {30, []string{"dt", "gc_seq"}, false, false, 22},
	"GCSweepActive":       {31, []string{"dt", "p"}, false, false, 22},
	"GCSweepBegin":        {32, []string{"dt", "stack"}, false, false, 22},
	"GCSweepEnd":          {33, []string{"dt", "swept_value", "reclaimed_value"}, false, false, 22},
	"GCMarkAssistActive":  {34, []string{"dt", "g"}, false, false, 22},
	"GCMarkAssistBegin":   {35, []string{"dt", "stack"}, false, false, 22},
	"GCMarkAssistEnd":     {36, []string{"dt"}, false, false, 22},
	"HeapAlloc":           {37, []string{"dt", "heapalloc_value"}, false, false, 22},
	"HeapGoal":            {38, []string{"dt", "heapgoal_value"}, false, false, 22},
	"GoLabel":             {39, []string{"dt", "label_string"}, false, false, 22},
	"UserTaskBegin":       {40, []string{"dt", "task", "parent_task", "name_string", "stack"}, false, false, 22},
	"UserTaskEnd":         {41, []string{"dt", "task", "stack"}, false, false, 22},
	"UserRegionBegin":     {42, []string{"dt", "task", "name_string", "stack"}, false, false, 22},
	"UserRegionEnd":       {43, []string{"dt", "task", "name_string", "stack"}, false, false, 22},
	"UserLog":             {44, []string{"dt", "task", "key_string", "value_string", "stack"}, false, false, 22},
	"GoSwitch":            {45, []string{"dt", "g", "g_seq"}, false, false, 23},
	"GoSwitchDestroy":     {46, []string{"dt", "g", "g_seq"}, false, false, 23},
	"GoCreateBlocked":     {47, []string{"dt", "new_g", "new_stack", "stack"}, false, false, 23},
	"GoStatusStack":       {48, []string{"dt", "g", "m", "gstatus", "stack"}, false, false, 23},
	"ExperimentalBatch":   {49, []string{"exp", "gen", "m", "time"}, false, true, 23},
	"Sync":                {50, nil, false, false, 25},
	"ClockSnapshot":       {51, []string{"dt", "mono", "sec", "nsec"}, false, false, 25},
	"EndOfGeneration":     {52, nil, false, false, 26},
}

var frameArgs = []string{"pc", "func", "file", "line"}

// tokens splits a line into whitespace-separated tokens, dropping a '#' comment.
func tokens(line string) []string {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	return strings.Fields(line)
}

func parseArgs(toks []string, names []string) ([]uint64, error) {
	if len(toks) != len(names) {
		return nil, fmt.Errorf("want %d arguments %v, got %q", len(names), names, toks)
	}
	var out []uint64
	for i, tok := range toks {
		k, v, ok := strings.Cut(tok, "=")
		if !ok || k != names[i] {
			return nil, fmt.Errorf("want argument %q, got %q", names[i], tok)
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("argument %q: %v", tok, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// encode turns the text trace into wire bytes.
func encode(text string) ([]byte, error) {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(tokens(sc.Text())) > 0 || strings.Contains(sc.Text(), "data=") {
			lines = append(lines, sc.Text())
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("empty trace")
	}
	head := tokens(lines[0])
	if len(head) != 2 || head[0] != "Trace" || !strings.HasPrefix(head[1], "Go1.") {
		return nil, fmt.Errorf("bad header %q", lines[0])
	}
	ver, err := strconv.Atoi(strings.TrimPrefix(head[1], "Go1."))
	if err != nil {
		return nil, err
	}
	out := []byte(fmt.Sprintf("go 1.%d trace\x00\x00\x00", ver))
	for i := 1; i < len(lines); i++ {
		toks := tokens(lines[i])
		sp, ok := specs[toks[0]]
		if !ok || sp.minVer > ver {
			return nil, fmt.Errorf("line %d: unknown event %q for go 1.%d", i+1, toks[0], ver)
		}
		args, err := parseArgs(toks[1:], sp.args)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", i+1, err)
		}
		out = append(out, sp.typ)
		for _, a := range args {
			out = binary.AppendUvarint(out, a)
		}
		if sp.isStack {
			for f := uint64(0); f < args[1]; f++ {
				i++
				if i >= len(lines) {
					return nil, fmt.Errorf("stack runs past the end")
				}
				fa, err := parseArgs(tokens(lines[i]), frameArgs)
				if err != nil {
					return nil, fmt.Errorf("line %d: %v", i+1, err)
				}
				for _, a := range fa {
					out = binary.AppendUvarint(out, a)
				}
			}
		}
		if sp.hasData {
			i++
			if i >= len(lines) {
				return nil, fmt.Errorf("data runs past the end")
			}
			k, v, ok := strings.Cut(lines[i], "=")
			if !ok || strings.TrimSpace(k) != "data" {
				return nil, fmt.Errorf("line %d: want data=\"...\"", i+1)
			}
			data, err := strconv.Unquote(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", i+1, err)
			}
			out = binary.AppendUvarint(out, uint64(len(data)))
			out = append(out, data...)
		}
	}
	return out, nil
}

// sections splits a txtar archive into its named files.
func sections(archive string) map[string]string {
	files := map[string]string{}
	var name string
	var body strings.Builder
	flush := func() {
		if name != "" {
			files[name] = body.String()
		}
		body.Reset()
	}
	for _, line := range strings.SplitAfter(archive, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) >= 6 {
			flush()
			name = strings.TrimSpace(trimmed[3 : len(trimmed)-3])
			continue
		}
		body.WriteString(line)
	}
	flush()
	return files
}

func main() {
	goroot := flag.String("goroot", "", "GOROOT holding src/internal/trace/testdata/tests")
	outDir := flag.String("out", "../corpus", "output folder")
	flag.Parse()
	dir := filepath.Join(*goroot, "src/internal/trace/testdata/tests")
	paths, err := filepath.Glob(filepath.Join(dir, "*.test"))
	if err != nil || len(paths) == 0 {
		fmt.Fprintf(os.Stderr, "no tests in %s\n", dir)
		os.Exit(1)
	}
	sort.Strings(paths)
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		panic(err)
	}
	var manifest []string
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			panic(err)
		}
		files := sections(string(raw))
		name := strings.TrimSuffix(filepath.Base(p), ".test")
		expect := strings.TrimSpace(files["expect"])
		var verdict string
		switch {
		case expect == "SUCCESS":
			verdict = "accept"
		case strings.HasPrefix(expect, "FAILURE"):
			re, err := strconv.Unquote(strings.TrimSpace(strings.TrimPrefix(expect, "FAILURE")))
			if err != nil {
				re = strings.TrimSpace(strings.TrimPrefix(expect, "FAILURE"))
			}
			verdict = "reject " + re
		default:
			fmt.Fprintf(os.Stderr, "%s: unknown expectation %q\n", name, expect)
			os.Exit(1)
		}
		bin, err := encode(files["trace"])
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(*outDir, name+".trace"), bin, 0o644); err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(*outDir, name+".expect"), []byte(verdict+"\n"), 0o644); err != nil {
			panic(err)
		}
		manifest = append(manifest, name+" "+verdict)
	}
	if err := os.WriteFile(filepath.Join(*outDir, "manifest.txt"), []byte(strings.Join(manifest, "\n")+"\n"), 0o644); err != nil {
		panic(err)
	}
	fmt.Printf("%d traces written to %s\n", len(paths), *outDir)
}
