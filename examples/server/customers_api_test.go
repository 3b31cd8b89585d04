package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestCustomers(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()

	w := c.do("POST", "/api/customers", map[string]string{"email": "Lena@Northwind.Example", "name": "Lena", "tier": "enterprise", "account": "Northwind"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	lena := decode[*icc.Customer](t, w)
	assert.Equal(t, "lena@northwind.example", lena.Email)
	assert.Equal(t, "/api/customers/"+lena.ID, w.Header().Get("Location"))
	w = c.do("POST", "/api/customers", map[string]string{"email": "raj@contoso.example", "name": "Raj", "tier": "pro"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	raj := decode[*icc.Customer](t, w)

	requireError(t, c.do("POST", "/api/customers", map[string]string{"email": "lena@northwind.example"}), 409, "conflict", "email")
	requireError(t, c.do("POST", "/api/customers", map[string]string{"email": "lena"}), 422, "invalid", "email")
	requireError(t, c.do("POST", "/api/customers", `{"email":1}`), 400, "invalid", "")

	w = c.do("GET", "/api/customers/"+lena.ID, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "Northwind", decode[*icc.Customer](t, w).Account)
	requireError(t, c.do("GET", "/api/customers/nope", nil), 404, "not_found", "")

	list := func(q string) []string {
		t.Helper()
		w := c.do("GET", "/api/customers?"+q, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var ids []string
		for _, c := range decode[icc.Page[*icc.Customer]](t, w).Items {
			ids = append(ids, c.ID)
		}
		return ids
	}
	assert.Equal(t, []string{raj.ID, lena.ID}, list(""))
	assert.Equal(t, []string{lena.ID}, list("tier=enterprise"))
	assert.Equal(t, []string{raj.ID}, list("text=contoso"))
	assert.Equal(t, []string{raj.ID}, list("limit=1"))
	requireError(t, c.do("GET", "/api/customers?limit=-1", nil), 422, "invalid", "limit")
	requireError(t, c.do("GET", "/api/customers?cursor=zzz", nil), 422, "invalid", "cursor")

	w = c.do("PATCH", "/api/customers/"+raj.ID, map[string]string{"tier": "enterprise"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got := decode[*icc.Customer](t, w)
	assert.Equal(t, "enterprise", got.Tier)
	assert.Equal(t, "Raj", got.Name, "fields not sent are kept")
	requireError(t, c.do("PATCH", "/api/customers/nope", map[string]string{"tier": "x"}), 404, "not_found", "")
	requireError(t, c.do("PATCH", "/api/customers/"+raj.ID, map[string]string{"email": "new@x.example"}), 400, "invalid", "")
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a'
	}
	requireError(t, c.do("PATCH", "/api/customers/"+raj.ID, map[string]string{"name": string(long)}), 422, "invalid", "name")
	w = c.do("GET", "/api/customers/"+raj.ID, nil)
	assert.Equal(t, "Raj", decode[*icc.Customer](t, w).Name, "a rejected update stores nothing")
}
