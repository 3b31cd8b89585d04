package icc_test

import (
	"errors"
	"fmt"

	"github.com/icclabs/commandcenter/icc"
)

func Example() {
	t := &icc.Ticket{Subject: "Invoice missing", CustomerID: "c1"}
	if err := t.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Status, t.Channel, t.Priority)

	bad := &icc.Ticket{CustomerID: "c1"}
	err := bad.Validate()
	fmt.Println(icc.ErrorCode(err), icc.ErrorField(err), errors.Is(err, icc.ErrInvalid))
	fmt.Println(icc.CanTransition(icc.StatusResolved, icc.StatusOpen), icc.CanTransition(icc.StatusClosed, icc.StatusNew))
	// Output:
	// new web medium
	// invalid subject true
	// true false
}
