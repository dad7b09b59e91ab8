// The sg-askpass executable (what the tests run); the Debian package installs the same entry
// point in sg-helpers, run through a link named sg-askpass (SGHelpers/HelperTable.swift).
import SGCore
import SGHelpers

ToolTable.helpers.run("sg-askpass")
