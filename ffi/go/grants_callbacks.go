package oauthkit

// The C-callable trampolines for the device prompt and the end-session
// opener. This file may only declare things in its preamble (it uses
// //export).

/*
#include <stdint.h>
#include <oauthkit.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

//export goOakDevicePrompt
func goOakDevicePrompt(userCode, uri, uriComplete *C.char, expiresIn C.uint64_t, userData unsafe.Pointer) C.int32_t {
	run := cgo.Handle(uintptr(userData)).Value().(*deviceRun)
	code := DeviceCode{
		UserCode:        C.GoString(userCode),
		VerificationURI: C.GoString(uri),
		ExpiresIn:       uint64(expiresIn),
	}
	if uriComplete != nil {
		code.VerificationURIComplete = C.GoString(uriComplete)
	}
	if err := run.prompt(code); err != nil {
		run.promptErr = err
		return 1
	}
	return 0
}

//export goOakOpenEndSession
func goOakOpenEndSession(url *C.char, userData unsafe.Pointer) C.int32_t {
	run := cgo.Handle(uintptr(userData)).Value().(*flowRun)
	if err := run.open(C.GoString(url)); err != nil {
		run.openErr = err
		return 1
	}
	return 0
}
