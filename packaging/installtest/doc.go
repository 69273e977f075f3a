// Package installtest checks PacketBuddy's installers and release builds the
// way a user meets them. It has no code of its own, only tests, which run
// the build scripts in scripts/ and then:
//
//   - open the .deb with dpkg-deb, list it, extract it, run the extracted
//     binary and validate its desktop entry and AppStream metadata;
//   - inspect the Windows exe (GUI subsystem, icon, manifest, version
//     information) and its zip, run it under Wine (version, the headless
//     dashboard answering /api/health over 127.0.0.1) and take a screenshot
//     of its tray icon and menu under Wine and Xvfb;
//   - run the packaging package's tests as a Windows binary under Wine, so
//     the Run-key login item meets a real registry;
//   - render the macOS Info.plist and check it.
//
// The tests build on Linux only (the files end in _linux_test.go): they
// drive dpkg, rpm, Wine and Xvfb. Those that build or run Wine do not run in
// parallel: they share one Wine prefix, whose registry the packaging tests
// change, and the build scripts already use every core.
//
// Tools that are missing skip their tests, unless PACKETBUDDY_TEST_REQUIRE
// names them ("all", or a comma-separated list such as "wine,xvfb").
// Screenshots and logs go to $PACKETBUDDY_TEST_OUTPUT, else
// test-output/installtest/ in the repository.
package installtest
