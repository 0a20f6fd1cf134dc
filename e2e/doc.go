// Package e2e is Hearth's browser test suite: it starts Hearth on a fresh
// SQLite data directory for each test and drives Debian's headless Chromium
// through chromedp as a member would, with clicks, taps and typing, at a
// phone size (390x844, touch, device scale factor 3) and a desktop size
// (1366x768).
//
// On every page it visits it checks the layout (no horizontal scrolling,
// targets of at least 24x24 CSS px under WCAG 2.2's target-size rule, no
// focusable element off-screen) and it runs axe-core (vendored in
// testdata/) on the main pages, with keyboard-only and no-JavaScript runs.
//
// The suite needs Chromium: it uses $HEARTH_TEST_CHROMIUM, else
// `chromium` on $PATH, and skips with a message when neither is there
// (.ci/run installs it). When a test fails it saves a full-page screenshot
// of each browser tab to e2e/screenshots/ (git-ignored).
//
//	go test ./e2e/                  # the suite (1-2 minutes on 2 busy cores)
//	go test ./e2e/ -run Quote -v    # one flow, with the page checks' notes
package e2e
