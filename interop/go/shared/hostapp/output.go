package hostapp

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
)

// Field is one key of a report line; Fields keep their order in the output.
type Field struct {
	Key   string
	Value interface{}
}

// Fields is an ordered list of report keys.
type Fields []Field

// F is shorthand for a Field.
func F(key string, value interface{}) Field { return Field{Key: key, Value: value} }

// lineWriter writes one JSON object per line.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (lw *lineWriter) emit(fields Fields) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		_ = enc.Encode(f.Key)
		b.Truncate(b.Len() - 1) // Encode appends '\n'
		b.WriteByte(':')
		if err := enc.Encode(f.Value); err != nil {
			_ = enc.Encode(err.Error())
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteString("}\n")
	lw.mu.Lock()
	defer lw.mu.Unlock()
	_, _ = lw.w.Write(b.Bytes())
}

// syncBuffer is a goroutine-safe in-memory writer for SyncStdout/SyncStderr.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
