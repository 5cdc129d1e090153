package oauthkit

// The C-callable trampolines for the browser and refresh callbacks. This
// file may only declare things in its preamble (it uses //export).

/*
#include <oauthkit.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

//export goOakOpenBrowser
func goOakOpenBrowser(url *C.char, userData unsafe.Pointer) C.OakStatus {
	run := cgo.Handle(uintptr(userData)).Value().(*flowRun)
	if err := run.open(C.GoString(url)); err != nil {
		run.openErr = err
		return C.OAK_ERR_AUTHENTICATION
	}
	return C.OAK_OK
}

//export goOakRefreshed
func goOakRefreshed(key *C.char, tokens *C.OakTokenSet, userData unsafe.Pointer) {
	hook := cgo.Handle(uintptr(userData)).Value().(RefreshHook)
	var copy *C.OakTokenSet
	if C.oak_token_set_clone(tokens, &copy) != C.OAK_OK {
		return
	}
	hook(C.GoString(key), adoptTokenSet(copy))
}

//export goOakLog
func goOakLog(level C.int32_t, target *C.char, message *C.char, userData unsafe.Pointer) {
	handler := cgo.Handle(uintptr(userData)).Value().(LogHandler)
	handler(LogLevel(level), C.GoString(target), C.GoString(message))
}
