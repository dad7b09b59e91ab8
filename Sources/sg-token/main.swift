// The sg-token executable (what the tests run); the Debian package installs the same entry
// point in sg-commands, run through a link named sg-token (SGCommand/CommandTools.swift).
import SGCommand

CommandTools.run("sg-token")
