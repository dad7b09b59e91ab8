// The git-credential-sg executable (what the tests run); the Debian package installs the same entry
// point in sg-helpers, run through a link named git-credential-sg (SGHelpers/HelperTable.swift).
import SGCore
import SGHelpers

ToolTable.helpers.run("git-credential-sg")
