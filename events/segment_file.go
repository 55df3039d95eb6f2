package events

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The on-disk format of a SegmentStore (see its doc for the rules).
const (
	segmentExt       = ".seg"
	recordHeaderSize = 8 // u32 payload length, u32 CRC-32C of the payload, little-endian
	// maxRecordPayload bounds one record, so that a segment, rolled once
	// it would pass SegmentBytes (at most maxSegmentBytes), stays below
	// 4 GiB and record offsets fit in a uint32.
	maxRecordPayload = 1 << 30
	maxSegmentBytes  = 1 << 30
	// heightTag starts every payload MarshalBlock makes: field 1 (height),
	// varint, which gogoproto writes first and which is never 0.
	heightTag = 0x08
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func segmentName(first int64) string {
	return fmt.Sprintf("%020d%s", first, segmentExt)
}

// parseSegmentName returns the first height a segment file's name gives.
func parseSegmentName(name string) (int64, error) {
	digits, _ := strings.CutSuffix(name, segmentExt)
	h, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || h < 1 || segmentName(h) != name {
		return 0, fmt.Errorf("segment file name %q: want a height of at least 1 in 20 digits, then %s", name, segmentExt)
	}
	return h, nil
}

// appendRecord appends b's framed record to dst.
func appendRecord(dst []byte, b *Block) ([]byte, error) {
	pb, err := toProto(b)
	if err != nil {
		return dst, err
	}
	n := pb.Size()
	if n > maxRecordPayload {
		return dst, fmt.Errorf("encode block record: height %d: %d bytes, more than the limit of %d", b.Height, n, maxRecordPayload)
	}
	start := len(dst)
	dst = append(dst, make([]byte, recordHeaderSize+n)...)
	rec := dst[start:]
	if _, err := pb.MarshalToSizedBuffer(rec[recordHeaderSize:]); err != nil {
		return dst[:start], fmt.Errorf("encode block record: height %d: %w", b.Height, err)
	}
	binary.LittleEndian.PutUint32(rec[0:4], uint32(n))
	binary.LittleEndian.PutUint32(rec[4:8], crc32.Checksum(rec[recordHeaderSize:], castagnoli))
	return dst, nil
}

// decodeRecord checks and decodes the record rec read for height h.
func decodeRecord(rec []byte, h int64) (*Block, error) {
	if len(rec) < recordHeaderSize || int(binary.LittleEndian.Uint32(rec[0:4])) != len(rec)-recordHeaderSize {
		return nil, errors.New("record length does not match the index")
	}
	payload := rec[recordHeaderSize:]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(rec[4:8]) {
		return nil, errors.New("record checksum mismatch")
	}
	b, err := UnmarshalBlock(payload)
	if err != nil {
		return nil, err
	}
	if b.Height != h {
		return nil, fmt.Errorf("record holds height %d", b.Height)
	}
	return b, nil
}

// peekHeight returns the height a record's payload holds without decoding
// the rest: the last value of field 1 at the top level, as a full decode
// would take it.
func peekHeight(payload []byte) (int64, bool) {
	var height uint64
	found := false
	for len(payload) > 0 {
		tag, n := binary.Uvarint(payload)
		if n <= 0 {
			return 0, false
		}
		payload = payload[n:]
		switch wire := tag & 7; {
		case tag>>3 == 0:
			return 0, false
		case wire == 0:
			v, n := binary.Uvarint(payload)
			if n <= 0 {
				return 0, false
			}
			payload = payload[n:]
			if tag>>3 == 1 {
				height, found = v, true
			}
		case wire == 1 || wire == 5:
			size := 8
			if wire == 5 {
				size = 4
			}
			if len(payload) < size {
				return 0, false
			}
			payload = payload[size:]
		case wire == 2:
			l, n := binary.Uvarint(payload)
			if n <= 0 || l > uint64(len(payload)-n) {
				return 0, false
			}
			payload = payload[n+int(l):]
		default:
			return 0, false
		}
	}
	if !found || height < 1 || height > math.MaxInt64 {
		return 0, false
	}
	return int64(height), true
}

// damage is the first bad record of a segment: incomplete, or failing its
// checksum, or without a readable height.
type damage struct {
	offset int64
	reason string
}

// scanned is what scanning a segment file found.
type scanned struct {
	offsets []uint32 // of each good record, in height order from the name's
	size    int64    // end of the last good record
	damage  *damage  // nil when every byte belongs to a good record
}

// scanSegment reads a segment of size bytes whose name says it starts at
// first. It stops at the first bad record; a good record whose height is not
// the next one is an error.
func scanSegment(r io.Reader, size, first int64) (scanned, error) {
	br := bufio.NewReaderSize(r, int(min(size, 1<<20))) // at least 16
	var (
		s      scanned
		header [recordHeaderSize]byte
		buf    []byte
	)
	for s.size < size {
		left := size - s.size
		if left < recordHeaderSize {
			s.damage = &damage{s.size, fmt.Sprintf("incomplete record header (%d bytes)", left)}
			return s, nil
		}
		if _, err := io.ReadFull(br, header[:]); err != nil {
			return s, fmt.Errorf("read at offset %d: %w", s.size, err)
		}
		n := int64(binary.LittleEndian.Uint32(header[0:4]))
		if n > left-recordHeaderSize || n > maxRecordPayload {
			s.damage = &damage{s.size, fmt.Sprintf("record of %d bytes runs past the end of the file", n)}
			return s, nil
		}
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		payload := buf[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return s, fmt.Errorf("read at offset %d: %w", s.size, err)
		}
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(header[4:8]) {
			s.damage = &damage{s.size, "record checksum mismatch"}
			return s, nil
		}
		h, ok := peekHeight(payload)
		if !ok {
			s.damage = &damage{s.size, "record without a readable height"}
			return s, nil
		}
		if want := first + int64(len(s.offsets)); h != want {
			return s, fmt.Errorf("offset %d: record holds height %d where %d was expected", s.size, h, want)
		}
		if s.size > math.MaxUint32 {
			return s, fmt.Errorf("offset %d: segment larger than 4 GiB", s.size)
		}
		s.offsets = append(s.offsets, uint32(s.size))
		s.size += recordHeaderSize + n
	}
	return s, nil
}

// findRecord looks at every byte offset of r in [from, end) for a good
// record of height at least minHeight and returns the first such offset, or
// -1. Only payloads that start with heightTag are checksummed, which keeps
// the search linear in practice.
func findRecord(r io.ReaderAt, from, end, minHeight int64) (int64, error) {
	if end-from < recordHeaderSize+2 {
		return -1, nil
	}
	region := make([]byte, end-from)
	if _, err := r.ReadAt(region, from); err != nil {
		return -1, fmt.Errorf("read at offset %d: %w", from, err)
	}
	for p := 0; p+recordHeaderSize+2 <= len(region); p++ {
		n := int(binary.LittleEndian.Uint32(region[p:]))
		body := p + recordHeaderSize
		if n < 2 || n > len(region)-body || region[body] != heightTag {
			continue
		}
		payload := region[body : body+n]
		if h, k := binary.Uvarint(payload[1:]); k <= 0 || h < uint64(minHeight) {
			continue
		}
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(region[p+4:]) {
			continue
		}
		if h, ok := peekHeight(payload); ok && h >= minHeight {
			return from + int64(p), nil
		}
	}
	return -1, nil
}

// syncFile makes what was written to f durable.
func (s *SegmentStore) syncFile(f segmentFile) error {
	if s.cfg.noSync {
		return nil
	}
	return f.Sync()
}

// syncDir makes the creation and removal of files in the store's directory
// durable.
func (s *SegmentStore) syncDir() error {
	if s.cfg.noSync {
		return nil
	}
	d, err := os.Open(s.cfg.Dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// segmentPath names a segment file in dir.
func segmentPath(dir string, first int64) string {
	return filepath.Join(dir, segmentName(first))
}
