package netid

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	iphlpapi                        = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetIpForwardTable2          = iphlpapi.NewProc("GetIpForwardTable2")
	procGetIpNetTable2              = iphlpapi.NewProc("GetIpNetTable2")
	procFreeMibTable                = iphlpapi.NewProc("FreeMibTable")
	procConvertInterfaceAliasToLuid = iphlpapi.NewProc("ConvertInterfaceAliasToLuid")
	procConvertInterfaceLuidToGuid  = iphlpapi.NewProc("ConvertInterfaceLuidToGuid")
)

// The row layouts iphelper.go decodes must be those of x/sys/windows's
// MIB_IPFORWARD_ROW2: a constant below would overflow, and the build
// fail, if an offset differed.
const (
	_ uintptr = forwardRowSize - unsafe.Sizeof(windows.MibIpForwardRow2{})
	_ uintptr = unsafe.Sizeof(windows.MibIpForwardRow2{}) - forwardRowSize
	_ uintptr = forwardInterfaceIndex - unsafe.Offsetof(windows.MibIpForwardRow2{}.InterfaceIndex)
	_ uintptr = unsafe.Offsetof(windows.MibIpForwardRow2{}.InterfaceIndex) - forwardInterfaceIndex
	_ uintptr = forwardNextHop - unsafe.Offsetof(windows.MibIpForwardRow2{}.NextHop)
	_ uintptr = unsafe.Offsetof(windows.MibIpForwardRow2{}.NextHop) - forwardNextHop
	_ uintptr = forwardMetric - unsafe.Offsetof(windows.MibIpForwardRow2{}.Metric)
	_ uintptr = unsafe.Offsetof(windows.MibIpForwardRow2{}.Metric) - forwardMetric
	_ uintptr = forwardLoopbackBoolean - unsafe.Offsetof(windows.MibIpForwardRow2{}.Loopback)
	_ uintptr = unsafe.Offsetof(windows.MibIpForwardRow2{}.Loopback) - forwardLoopbackBoolean
	_ uintptr = sockaddrInetSize - unsafe.Sizeof(windows.RawSockaddrInet{})
	_ uintptr = unsafe.Sizeof(windows.RawSockaddrInet{}) - sockaddrInetSize
)

// callProc calls a procedure that returns a Win32 error code (or
// NETIO_STATUS), loading it first: a missing DLL or procedure is an
// error, not a panic.
func callProc(p *windows.LazyProc, args ...uintptr) error {
	if err := p.Find(); err != nil {
		return err
	}
	r, _, _ := p.Call(args...)
	if r != 0 {
		return syscall.Errno(r)
	}
	return nil
}

// mibTable calls GetIpForwardTable2 or GetIpNetTable2 for both address
// families and decodes the table with decode before freeing it.
func mibTable[T any](get *windows.LazyProc, rowSize int, decode func([]byte) (T, error)) (T, error) {
	var zero T
	var table unsafe.Pointer
	err := callProc(get, windows.AF_UNSPEC, uintptr(unsafe.Pointer(&table)))
	if err == windows.ERROR_NOT_FOUND {
		return zero, nil // no rows
	}
	if err != nil {
		return zero, err
	}
	defer procFreeMibTable.Call(uintptr(table))
	n := *(*uint32)(table)
	return decode(unsafe.Slice((*byte)(table), mibTableHeader+int(n)*rowSize))
}

// interfaceGUID is the GUID of the NIC whose alias (the name the
// counters carry, as net.Interfaces gives it) is nic, as laid out in
// memory.
func interfaceGUID(nic string) ([16]byte, error) {
	alias, err := windows.UTF16PtrFromString(nic)
	if err != nil {
		return [16]byte{}, err
	}
	var luid uint64
	if err := callProc(procConvertInterfaceAliasToLuid, uintptr(unsafe.Pointer(alias)), uintptr(unsafe.Pointer(&luid))); err != nil {
		return [16]byte{}, err
	}
	var guid windows.GUID
	if err := callProc(procConvertInterfaceLuidToGuid, uintptr(unsafe.Pointer(&luid)), uintptr(unsafe.Pointer(&guid))); err != nil {
		return [16]byte{}, err
	}
	return *(*[16]byte)(unsafe.Pointer(&guid)), nil
}
