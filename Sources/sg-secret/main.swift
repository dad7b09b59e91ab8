// The sg-secret executable (what the tests run); the Debian package installs the same entry
// point in sg-commands, run through a link named sg-secret (SGCommand/CommandTable.swift).
import SGCommand
import SGCore

ToolTable.commands.run("sg-secret")
