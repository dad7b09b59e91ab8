// The sg-secret executable (what the tests run); the Debian package installs the same entry
// point in sg-commands, run through a link named sg-secret (SGCommand/CommandTools.swift).
import SGCommand

CommandTools.run("sg-secret")
