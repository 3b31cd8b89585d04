package classify

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
)

// label is one class of a model: an intent (or, for a model trained
// without intents, a category) with what it implies.
type label struct {
	Name     string
	Category Category
	Escalate bool
}

// model is a multinomial logistic regression over hashed features. It is
// read-only once built, except through Offline, which guards it.
type model struct {
	name      string
	fc        featureConfig
	hasIntent bool
	temp      float32 // softmax temperature fitted on held-out data
	labels    []label
	rows      map[uint64]int32 // feature hash -> row in w
	w         []float32        // rows x len(labels)
	vocab     map[string]uint32
	sp        *speller
	lx        *lexicon
	// keep are training examples stored with the model, rehearsed when a
	// model is trained on top of it (see TrainConfig.Base).
	keep []sample
}

func (m *model) k() int { return len(m.labels) }

// row returns the weights of feature h, or nil if the model never saw it.
func (m *model) row(h uint64) []float32 {
	r, ok := m.rows[h]
	if !ok {
		return nil
	}
	k := m.k()
	return m.w[int(r)*k : int(r)*k+k]
}

// logits adds the features' scores into out (len k).
func (m *model) logits(fs []feature, out []float32) {
	clear(out)
	for _, f := range fs {
		if r := m.row(f.h); r != nil {
			for j, w := range r {
				out[j] += w * f.v
			}
		}
	}
}

// softmax turns logits into probabilities at temperature t, in place.
func softmax(z []float32, t float32) {
	mx := float32(math.Inf(-1))
	for _, v := range z {
		mx = max(mx, v)
	}
	var sum float32
	for i, v := range z {
		e := float32(math.Exp(float64((v - mx) / t)))
		z[i] = e
		sum += e
	}
	for i := range z {
		z[i] /= sum
	}
}

func (m *model) analyze(text string) analysis { return analyze(text, m.lx, m.sp, m.fc) }

// predict returns the label probabilities for an analysed text, and the
// features it built in buf (grown as needed), so that callers can reuse buf.
func (m *model) predict(a *analysis, buf []feature) ([]float32, []feature) {
	fs := a.features(m.fc, buf[:0])
	p := make([]float32, m.k())
	m.logits(fs, p)
	softmax(p, m.temp)
	return p, fs
}

// clone returns a deep copy that can be trained without touching m.
func (m *model) clone() *model {
	c := *m
	c.labels = slices.Clone(m.labels)
	c.w = slices.Clone(m.w)
	c.rows = make(map[uint64]int32, len(m.rows))
	for h, r := range m.rows {
		c.rows[h] = r
	}
	c.vocab = make(map[string]uint32, len(m.vocab))
	for w, n := range m.vocab {
		c.vocab[w] = n
	}
	c.sp = newSpeller(c.vocab)
	c.keep = slices.Clone(m.keep)
	return &c
}

// ensureRow returns the row index of h, adding a zero row if needed.
func (m *model) ensureRow(h uint64) int {
	if r, ok := m.rows[h]; ok {
		return int(r)
	}
	r := len(m.rows)
	m.rows[h] = int32(r)
	m.w = append(m.w, make([]float32, m.k())...)
	return r
}

// prune drops the rows (features) whose largest weight is below frac of
// the model's largest weight: most hashed character n-grams end up with
// weights too small to change an answer, and dropping them keeps the model
// file small. A dropped feature reads as all zeros.
func (m *model) prune(frac float32) {
	k := m.k()
	var mx float32
	for _, v := range m.w {
		mx = max(mx, v, -v)
	}
	hashes := make([]uint64, 0, len(m.rows))
	for h := range m.rows {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	rows := make(map[uint64]int32, len(m.rows)/2)
	w := make([]float32, 0, len(m.w)/2)
	for _, h := range hashes {
		row := m.row(h)
		var rm float32
		for _, v := range row {
			rm = max(rm, v, -v)
		}
		if rm >= frac*mx {
			rows[h] = int32(len(rows))
			w = append(w, row[:k]...)
		}
	}
	m.rows, m.w = rows, w
}

// addLabel adds a class and returns its index. Each of its weights is the
// mean of the feature's weights for the other classes, so that its score
// is the mean of theirs and it wins nothing until it is trained. (Zero
// weights, the bias feature's included, would not be neutral: a text's
// scores for the trained classes can all be negative, and a zero score
// then beats every one.)
func (m *model) addLabel(l label) int {
	k := m.k()
	w := make([]float32, 0, len(m.rows)*(k+1))
	for r := range len(m.rows) {
		row := m.w[r*k : r*k+k]
		var sum float32
		for _, v := range row {
			sum += v
		}
		w = append(w, row...)
		w = append(w, sum/float32(max(k, 1)))
	}
	m.w = w
	m.labels = append(m.labels, l)
	return k
}

// likeliestIn returns the label of category cat that the model finds most
// likely for an analysed text, or -1 when it has none of that category: how
// an example with only a category is labelled on an intent model.
func (m *model) likeliestIn(a *analysis, cat Category) int {
	p, _ := m.predict(a, nil)
	y := -1
	for j, l := range m.labels {
		if l.Category == cat && (y < 0 || p[j] > p[y]) {
			y = j
		}
	}
	return y
}

func (m *model) labelIndex(name string) int {
	for i, l := range m.labels {
		if l.Name == name {
			return i
		}
	}
	return -1
}

// The file format: magic, a uint16 version, then a gzip stream (whose CRC
// catches corruption) holding the model in little-endian binary.
//
// Version 2 added the rehearsal examples (after the vocabulary); version 1
// files are still read, as models without them.
const (
	modelMagic   = "ICCOFFLM"
	modelVersion = 2
)

// ErrBadModel means a model file is not one this package can read: not a
// model at all, corrupt, or written by an incompatible version.
var ErrBadModel = errors.New("classify: bad offline model file")

func (m *model) save(w io.Writer) error { return m.saveVersion(w, modelVersion) }

// saveVersion writes m in format version v (1 or 2); tests write version
// 1 to check that it is still read.
func (m *model) saveVersion(w io.Writer, v uint16) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(modelMagic)
	binary.Write(bw, binary.LittleEndian, v)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestCompression)
	if err != nil {
		return err
	}
	e := &encoder{w: bufio.NewWriter(zw)}
	e.str(m.name)
	e.f32(m.fc.Words, m.fc.Concepts, m.fc.Bigrams, m.fc.Chars)
	e.u32(uint32(m.fc.CharMin), uint32(m.fc.CharMax))
	e.bool(m.fc.Lexicon, m.fc.Spell, m.hasIntent)
	e.f32(m.temp)
	e.u32(uint32(len(m.labels)))
	for _, l := range m.labels {
		e.str(l.Name)
		e.str(string(l.Category))
		e.bool(l.Escalate)
	}
	words := make([]string, 0, len(m.vocab))
	for w := range m.vocab {
		words = append(words, w)
	}
	sort.Strings(words)
	e.u32(uint32(len(words)))
	for _, w := range words {
		e.str(w)
		e.u32(m.vocab[w])
	}
	if v >= 2 {
		e.u32(uint32(len(m.keep)))
		for _, s := range m.keep {
			e.str(s.text)
			e.u32(uint32(s.y))
		}
	}
	// Weights are quantised to int16 with one scale for the whole model;
	// rows are written in hash order so that the file is deterministic.
	// Rows that quantise to all zeros are left out.
	var mx float32
	for _, v := range m.w {
		mx = max(mx, float32(math.Abs(float64(v))))
	}
	scale := mx / 32767
	if scale == 0 {
		scale = 1
	}
	hashes := make([]uint64, 0, len(m.rows))
	for h := range m.rows {
		for _, v := range m.row(h) {
			if math.Abs(float64(v/scale)) >= 0.5 {
				hashes = append(hashes, h)
				break
			}
		}
	}
	slices.Sort(hashes)
	e.f32(scale)
	e.u32(uint32(len(hashes)))
	var prev uint64
	for _, h := range hashes {
		e.uvarint(h - prev)
		prev = h
	}
	for _, h := range hashes {
		for _, v := range m.row(h) {
			e.i16(int16(math.Round(float64(v / scale))))
		}
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err != nil {
		return e.err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

func loadModel(r io.Reader) (*model, error) {
	br := bufio.NewReader(r)
	head := make([]byte, len(modelMagic)+2)
	if _, err := io.ReadFull(br, head); err != nil {
		return nil, fmt.Errorf("%w: reading header: %w", ErrBadModel, err)
	}
	if !bytes.Equal(head[:len(modelMagic)], []byte(modelMagic)) {
		return nil, fmt.Errorf("%w: not an offline classifier model (wrong magic)", ErrBadModel)
	}
	version := binary.LittleEndian.Uint16(head[len(modelMagic):])
	if version < 1 || version > modelVersion {
		return nil, fmt.Errorf("%w: format version %d, this package reads versions 1 to %d", ErrBadModel, version, modelVersion)
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	body, err := io.ReadAll(io.LimitReader(zr, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: corrupt data: %w", ErrBadModel, err)
	}
	d := &decoder{b: body}
	m := &model{lx: loadLexicon()}
	m.name = d.str()
	m.fc.Words, m.fc.Concepts, m.fc.Bigrams, m.fc.Chars = d.f32(), d.f32(), d.f32(), d.f32()
	m.fc.CharMin, m.fc.CharMax = int(d.u32()), int(d.u32())
	m.fc.Lexicon, m.fc.Spell, m.hasIntent = d.bool(), d.bool(), d.bool()
	m.temp = d.f32()
	nl := d.count(1000)
	for range nl {
		l := label{Name: d.str(), Category: Category(d.str()), Escalate: d.bool()}
		if d.err == nil && !l.Category.Valid() {
			d.err = fmt.Errorf("unknown category %q", l.Category)
		}
		m.labels = append(m.labels, l)
	}
	nv := d.count(10_000_000)
	m.vocab = make(map[string]uint32, nv)
	for range nv {
		w := d.str()
		m.vocab[w] = d.u32()
	}
	if version >= 2 {
		nk := d.count(1_000_000)
		for range nk {
			text, y := d.str(), d.u32()
			if d.err == nil && uint64(y) >= uint64(len(m.labels)) {
				d.err = fmt.Errorf("rehearsal example of label %d of %d", y, len(m.labels))
			}
			m.keep = append(m.keep, sample{text: text, y: int(y)})
		}
	}
	scale := d.f32()
	nr := d.count(50_000_000)
	m.rows = make(map[uint64]int32, nr)
	var h uint64
	for i := range nr {
		h += d.uvarint()
		m.rows[h] = int32(i)
	}
	k := len(m.labels)
	if d.err == nil && len(d.b) != nr*k*2 {
		d.err = fmt.Errorf("weights: %d bytes for %d rows x %d labels", len(d.b), nr, k)
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, d.err)
	}
	if k < 2 || m.temp <= 0 || m.fc.CharMin > m.fc.CharMax || m.fc.CharMax > 16 {
		return nil, fmt.Errorf("%w: inconsistent header", ErrBadModel)
	}
	m.w = make([]float32, nr*k)
	for i := range m.w {
		m.w[i] = float32(int16(binary.LittleEndian.Uint16(d.b[2*i:]))) * scale
	}
	m.sp = newSpeller(m.vocab)
	return m, nil
}

type encoder struct {
	w   *bufio.Writer
	err error
	buf [binary.MaxVarintLen64]byte
}

func (e *encoder) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}
func (e *encoder) uvarint(v uint64) { e.write(e.buf[:binary.PutUvarint(e.buf[:], v)]) }
func (e *encoder) u32(vs ...uint32) {
	for _, v := range vs {
		e.uvarint(uint64(v))
	}
}
func (e *encoder) str(s string) { e.uvarint(uint64(len(s))); e.write([]byte(s)) }
func (e *encoder) f32(vs ...float32) {
	for _, v := range vs {
		e.write(binary.LittleEndian.AppendUint32(e.buf[:0], math.Float32bits(v)))
	}
}
func (e *encoder) i16(v int16) { e.write(binary.LittleEndian.AppendUint16(e.buf[:0], uint16(v))) }
func (e *encoder) bool(vs ...bool) {
	for _, v := range vs {
		b := byte(0)
		if v {
			b = 1
		}
		e.write([]byte{b})
	}
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("truncated or malformed %s", what)
	}
}
func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("integer")
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *decoder) u32() uint32 {
	v := d.uvarint()
	if v > math.MaxUint32 {
		d.fail("integer")
	}
	return uint32(v)
}
func (d *decoder) count(limit int) int {
	n := d.uvarint()
	if n > uint64(limit) {
		d.fail("count")
		return 0
	}
	return int(n)
}
func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail("string")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
func (d *decoder) f32() float32 {
	if d.err != nil || len(d.b) < 4 {
		d.fail("float")
		return 0
	}
	v := math.Float32frombits(binary.LittleEndian.Uint32(d.b))
	d.b = d.b[4:]
	return v
}
func (d *decoder) bool() bool {
	if d.err != nil || len(d.b) < 1 || d.b[0] > 1 {
		d.fail("flag")
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}
