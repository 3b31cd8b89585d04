package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/monitor"
)

// crmDirectory is the desk's icc.CustomerDirectory in the reference
// server: it asks the mock CRM (GET /mock/crm/customers?email=...) over
// HTTP at the server's own address, through the monitor's logging
// RoundTripper, so every ticket's enrichment shows up in the integration
// logs of the integration named demoCRMName. Without that integration the
// calls are made but not logged.
//
// Until the server serves (setBase), lookups find nothing: demo tickets
// are filed before the server answers HTTP, and their customers are
// already complete.
type crmDirectory struct {
	base     atomic.Pointer[string]
	store    icc.IntegrationStore
	recorder *monitor.Recorder
	// transport makes the calls (default http.DefaultTransport).
	transport http.RoundTripper
}

// newCRMDirectory returns a directory that logs through rec under the
// integration found in store by name.
func newCRMDirectory(store icc.IntegrationStore, rec *monitor.Recorder) *crmDirectory {
	return &crmDirectory{store: store, recorder: rec, transport: http.DefaultTransport}
}

// setBase points the directory at the server, e.g. "http://127.0.0.1:8080".
func (d *crmDirectory) setBase(baseURL string) { d.base.Store(&baseURL) }

// crmCustomer is the part of the mock CRM's customer record the desk uses.
type crmCustomer struct {
	Name    string `json:"name"`
	Tier    string `json:"tier"`
	Account string `json:"account"`
}

// LookupCustomer implements icc.CustomerDirectory: 404 from the CRM is
// ENOTFOUND, any other failure an error the desk records on the ticket.
func (d *crmDirectory) LookupCustomer(ctx context.Context, email string) (icc.CustomerInfo, error) {
	base := d.base.Load()
	if base == nil {
		return icc.CustomerInfo{}, icc.Errorf(icc.ENOTFOUND, "the CRM is not reachable before the server serves")
	}
	rt := d.transport
	if id, err := d.integrationID(ctx); err != nil {
		return icc.CustomerInfo{}, err
	} else if id != "" {
		rt = d.recorder.Wrap(id, d.transport)
	}
	u := *base + "/mock/crm/customers?email=" + url.QueryEscape(email)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return icc.CustomerInfo{}, fmt.Errorf("crm lookup: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return icc.CustomerInfo{}, fmt.Errorf("crm lookup: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return icc.CustomerInfo{}, fmt.Errorf("crm lookup: read answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return icc.CustomerInfo{}, icc.Errorf(icc.ENOTFOUND, "the CRM does not know %s", email)
	case resp.StatusCode != http.StatusOK:
		return icc.CustomerInfo{}, fmt.Errorf("crm lookup: status %d", resp.StatusCode)
	}
	var c crmCustomer
	if err := json.Unmarshal(body, &c); err != nil {
		return icc.CustomerInfo{}, fmt.Errorf("crm lookup: decode answer: %w", err)
	}
	return icc.CustomerInfo(c), nil
}

// integrationID finds the integration the calls are logged under, asking
// the store each time so that a deleted or renamed integration is noticed;
// "" when there is none.
func (d *crmDirectory) integrationID(ctx context.Context) (string, error) {
	kind := icc.KindCRM
	ins, err := d.store.ListIntegrations(ctx, icc.IntegrationFilter{Kind: &kind})
	if err != nil {
		return "", fmt.Errorf("crm lookup: find integration: %w", err)
	}
	for _, in := range ins {
		if in.Name == demoCRMName {
			return in.ID, nil
		}
	}
	return "", nil
}
