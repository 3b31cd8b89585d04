package classify

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
	"sync"
)

// Cache is a Classifier that remembers the answers of another one in a
// least-recently-used cache of fixed capacity, so repeated requests (the
// same email sent twice, a retried webhook, a copy-pasted complaint) cost
// one call to the wrapped classifier.
//
// Requests are keyed by their normalised text — subject and body lowercased
// with runs of white space collapsed to one space — together with the
// channel and customer tier, which can change the priority, and the
// conversation history, which can change escalation. The key is a SHA-256
// digest, so the cache holds no customer text.
//
// Errors are never cached, and neither is a result with Result.Fallback
// set: an answer a Chain gave by falling back is returned but not kept, so
// the preferred classifier is asked again once it recovers. Wrap a Chain in
// a Cache, not the other way round. Concurrent misses for the same key each
// call the wrapped classifier.
//
// The Result returned is a copy; changing it does not change the cache. A
// Cache is safe for concurrent use.
type Cache struct {
	next     Classifier
	capacity int

	mu        sync.Mutex
	lru       *list.List // of *cacheEntry, most recently used first
	entries   map[cacheKey]*list.Element
	hits      uint64
	misses    uint64
	evictions uint64
}

// CacheStats counts what a Cache has done since it was made.
type CacheStats struct {
	// Hits is the number of requests answered from the cache.
	Hits uint64
	// Misses is the number of requests passed to the wrapped classifier.
	Misses uint64
	// Evictions is the number of entries dropped to make room.
	Evictions uint64
	// Len is the number of entries held now; Capacity the most it holds.
	Len, Capacity int
}

type cacheKey [sha256.Size]byte

type cacheEntry struct {
	key    cacheKey
	result Result
}

// NewCache returns a Cache holding up to capacity answers of next. It
// returns an error when next is nil or capacity is not positive.
func NewCache(next Classifier, capacity int) (*Cache, error) {
	if next == nil {
		return nil, errors.New("classify: cache: a Classifier to wrap is required")
	}
	if capacity <= 0 {
		return nil, fmt.Errorf("classify: cache: capacity must be positive, got %d", capacity)
	}
	return &Cache{
		next:     next,
		capacity: capacity,
		lru:      list.New(),
		entries:  make(map[cacheKey]*list.Element, capacity),
	}, nil
}

// Classify returns the cached answer for req, or asks the wrapped classifier
// and caches its answer. A request that fails Request.Validate returns that
// error and counts as neither a hit nor a miss.
func (c *Cache) Classify(ctx context.Context, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	key := cacheKeyOf(req)
	if r, ok := c.get(key); ok {
		return r, nil
	}
	r, err := c.next.Classify(ctx, req)
	if err != nil {
		return Result{}, err
	}
	if r.Fallback == "" {
		c.put(key, r)
	}
	return r, nil
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{
		Hits:      c.hits,
		Misses:    c.misses,
		Evictions: c.evictions,
		Len:       c.lru.Len(),
		Capacity:  c.capacity,
	}
}

// Purge drops every cached answer, for instance after the wrapped
// classifier has learnt from new examples. The counters are kept.
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Init()
	clear(c.entries)
}

func (c *Cache) get(key cacheKey) (Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		c.misses++
		return Result{}, false
	}
	c.hits++
	c.lru.MoveToFront(el)
	return cloneResult(el.Value.(*cacheEntry).result), true
}

func (c *Cache) put(key cacheKey, r Result) {
	r = cloneResult(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		// Another caller missed on the same key at the same time.
		el.Value.(*cacheEntry).result = r
		c.lru.MoveToFront(el)
		return
	}
	c.entries[key] = c.lru.PushFront(&cacheEntry{key: key, result: r})
	for c.lru.Len() > c.capacity {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).key)
		c.evictions++
	}
}

// cloneResult copies r so the cache and its callers share no slice.
func cloneResult(r Result) Result {
	r.Reasons = slices.Clone(r.Reasons)
	return r
}

// cacheKeyOf digests the parts of req that can change its classification.
// Every part is length-prefixed so that no two requests share a digest by
// moving text from one field to the next.
func cacheKeyOf(req Request) cacheKey {
	h := sha256.New()
	cacheWrite(h, cacheNormalize(req.Text()))
	cacheWrite(h, cacheNormalize(req.Channel))
	cacheWrite(h, cacheNormalize(req.CustomerTier))
	for _, t := range req.History {
		cacheWrite(h, cacheNormalize(t.Role))
		cacheWrite(h, cacheNormalize(t.Text))
	}
	var k cacheKey
	h.Sum(k[:0])
	return k
}

func cacheWrite(h hash.Hash, s string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	h.Write([]byte(s))
}

// cacheNormalize lowercases s and collapses runs of white space to one
// space, trimming both ends.
func cacheNormalize(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}
