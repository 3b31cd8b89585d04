package icc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/icclabs/commandcenter/icc"
)

func TestPercentile(t *testing.T) {
	assert.Zero(t, icc.Percentile(nil, 0.5))
	assert.Equal(t, 7.0, icc.Percentile([]float64{7}, 0.9))
	// percentile_cont: position p·(n-1), linear between neighbours.
	v := []float64{1, 2, 3, 4}
	assert.Equal(t, 2.5, icc.Percentile(v, 0.5))
	assert.InDelta(t, 3.7, icc.Percentile(v, 0.9), 1e-12)
	assert.Equal(t, 1.0, icc.Percentile(v, 0))
	assert.Equal(t, 4.0, icc.Percentile(v, 1))
	assert.Equal(t, 15.0, icc.Percentile([]float64{10, 20}, 0.5))
}

func TestBuckets(t *testing.T) {
	t0 := time.Date(2025, 6, 2, 13, 30, 0, 0, time.FixedZone("X", 3*3600))
	assert.Equal(t, time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC), icc.BucketStart(t0, icc.BucketHour))
	assert.Equal(t, time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC), icc.BucketStart(t0, icc.BucketDay))
	assert.Equal(t, 1, icc.BucketCount(t0, t0.Add(time.Minute), icc.BucketHour))
	assert.Equal(t, 2, icc.BucketCount(t0, t0.Add(time.Hour), icc.BucketHour))
	assert.Equal(t, 1, icc.BucketCount(t0, t0.Add(time.Hour), icc.BucketDay))
	assert.Equal(t, 0, icc.BucketCount(t0, t0, icc.BucketDay))
	assert.Positive(t, icc.BucketCount(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), icc.BucketHour))
}

func TestTicketAnalyticsQueryValidate(t *testing.T) {
	from := time.Date(2025, 6, 2, 0, 0, 0, 123456789, time.FixedZone("X", 3600))
	q := icc.TicketAnalyticsQuery{From: from, To: from.Add(time.Hour)}
	assert.NoError(t, q.Validate())
	assert.Equal(t, icc.BucketDay, q.Bucket)
	assert.Equal(t, icc.Timestamp(from), q.From)
	assert.Equal(t, time.UTC, q.To.Location())
	q = icc.TicketAnalyticsQuery{From: from, To: from.Add(time.Duration(icc.MaxBuckets) * time.Hour), Bucket: icc.BucketHour}
	assert.Equal(t, "bucket", icc.ErrorField(q.Validate()), "2001 buckets: the first starts before From")
}
