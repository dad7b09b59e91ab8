// The sg-askpass executable (what the tests run); the Debian package installs the same entry
// point in sg-helpers, run through a link named sg-askpass (SGHelpers/HelperTools.swift).
import SGHelpers

HelperTools.run("sg-askpass")
