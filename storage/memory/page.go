package memory

import (
	"slices"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// key is the sort key of a listed item: a time and the id as tie-breaker.
type key struct {
	t  time.Time
	id string
}

func compareKeys(a, b key) int {
	if c := a.t.Compare(b.t); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// paginate sorts items by their key (descending when desc), skips those at
// or before the cursor, and returns one page of at most limit items, each
// passed through clone. It is keyset pagination: the cursor names the key
// of the last item returned, so items inserted meanwhile never shift the
// position.
func paginate[T any](items []T, keyOf func(T) key, desc bool, cursor string, limit int, clone func(T) T) (icc.Page[T], error) {
	c, err := icc.ParseCursor(cursor)
	if err != nil {
		return icc.Page[T]{}, err
	}
	limit = icc.ClampLimit(limit)
	slices.SortFunc(items, func(a, b T) int {
		r := compareKeys(keyOf(a), keyOf(b))
		if desc {
			return -r
		}
		return r
	})
	if cursor != "" {
		after := key{t: c.Time, id: c.ID}
		i, _ := slices.BinarySearchFunc(items, after, func(it T, k key) int {
			r := compareKeys(keyOf(it), k)
			if desc {
				return -r
			}
			return r
		})
		// i is the first item not before the cursor; skip the cursor itself.
		for i < len(items) && compareKeys(keyOf(items[i]), after) == 0 {
			i++
		}
		items = items[i:]
	}
	page := icc.Page[T]{Items: make([]T, 0, min(limit, len(items)))}
	for i, it := range items {
		if i == limit {
			k := keyOf(items[i-1])
			page.Next = icc.Cursor{Time: k.t, ID: k.id}.Encode()
			break
		}
		page.Items = append(page.Items, clone(it))
	}
	return page, nil
}
