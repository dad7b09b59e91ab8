// The git-credential-sg executable (what the tests run); the Debian package installs the same entry
// point in sg-helpers, run through a link named git-credential-sg (SGHelpers/HelperTools.swift).
import SGHelpers

HelperTools.run("git-credential-sg")
