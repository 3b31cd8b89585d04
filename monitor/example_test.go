package monitor_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/monitor"
)

func ExampleParseCondition() {
	c, err := monitor.ParseCondition(`json.status == "ok"`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Eval(monitor.Observation{StatusCode: 200, Body: []byte(`{"status":"ok"}`)}))
	fmt.Println(c.Eval(monitor.Observation{StatusCode: 200, Body: []byte(`{"status":"degraded"}`)}))

	_, err = monitor.ParseCondition("status = 200")
	fmt.Println(icc.ErrorCode(err), err)
	// Output:
	// <nil>
	// condition `json.status == "ok"` failed: value is "degraded"
	// invalid check.conditions: condition `status = 200`: unknown operator "="
}

func ExampleNewProbe() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"status":"ok","queue":{"depth":12}}`)
	}))
	defer srv.Close()

	probe, err := monitor.NewProbe(icc.CheckSpec{
		Type:       icc.CheckHTTP,
		URL:        srv.URL + "/health",
		Conditions: []string{"status == 200", "latency < 5s", "json.queue.depth < 10"},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	res := probe.Check(context.Background())
	fmt.Println(res.OK, res.StatusCode)
	fmt.Println(res.Err)
	// Output:
	// false 200
	// condition `json.queue.depth < 10` failed: value is 12
}
