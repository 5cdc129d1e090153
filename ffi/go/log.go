package oauthkit

/*
#include <stdint.h>
#include <oauthkit.h>

extern void goOakLog(int32_t level, char *target, char *message, void *userData);

static OakStatus oak_go_set_log_callback(int32_t level, int with_handler, uintptr_t handler) {
    return oak_set_log_callback(level, with_handler ? (OakLogFn)goOakLog : NULL, (void *)handler);
}
*/
import "C"

import (
	"runtime/cgo"
	"sync"
)

// LogLevel is a log record's severity, most severe first (OAK_LOG_*).
type LogLevel int32

// The log levels.
const (
	LogOff   LogLevel = C.OAK_LOG_OFF
	LogError LogLevel = C.OAK_LOG_ERROR
	LogWarn  LogLevel = C.OAK_LOG_WARN
	LogInfo  LogLevel = C.OAK_LOG_INFO
	LogDebug LogLevel = C.OAK_LOG_DEBUG
	LogTrace LogLevel = C.OAK_LOG_TRACE
)

// LogHandler receives oauthkit's log records: level, target (e.g.
// "oauthkit::session") and message. No record holds a secret. It is
// called from any thread, concurrently, and must be safe for that.
type LogHandler func(level LogLevel, target, message string)

var logState struct {
	sync.Mutex
	handle cgo.Handle
}

// SetLogHandler sends oauthkit's records at level and more severe to
// handler (oak_set_log_callback); a nil handler or LogOff turns logging
// off. It returns after calls of the previous handler still running have
// finished. Do not call it from inside a handler.
func SetLogHandler(level LogLevel, handler LogHandler) error {
	logState.Lock()
	defer logState.Unlock()
	var next cgo.Handle
	with := C.int(0)
	if handler != nil {
		next = cgo.NewHandle(handler)
		with = 1
	}
	err := call(func() C.OakStatus {
		return C.oak_go_set_log_callback(C.int32_t(level), with, C.uintptr_t(next))
	})
	if err != nil {
		if next != 0 {
			next.Delete()
		}
		return err
	}
	if logState.handle != 0 {
		logState.handle.Delete()
	}
	logState.handle = next
	return nil
}
