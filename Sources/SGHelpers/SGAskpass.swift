// sg-askpass PROMPT: SSH_ASKPASS / GIT_ASKPASS program. The hot path (ssh runs it for every
// prompt), so plain argv like git's helpers and no ArgumentParser. Prints the answer and a
// newline on stdout and nothing else; a refusal is one line on stderr and exit 1.
import SGCore
import SGTools
import SGSSH
#if canImport(Glibc)
import Glibc
#endif

/// The entry point (HelperTools).
enum SGAskpass {
    static func main() -> Never {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.count == 1, arguments.first == "--version" {
            print(SGVersion.line("sg-askpass"))
            exit(0)
        }
        if arguments.isEmpty || arguments.first == "-h" || arguments.first == "--help" {
            Stderr.write("""
            usage: sg-askpass PROMPT | --version
              Answers ssh's and git's password, passphrase and confirmation prompts from Safeguard, as
              mapped by the ssh: and git: sections of the sg config (man sg-config). Set
              SSH_ASKPASS=sg-askpass (with SSH_ASKPASS_REQUIRE=force without a display) or GIT_ASKPASS=sg-askpass.
              Exit 0 with the answer on stdout; exit 1 when the prompt is refused (host keys, retries,
              unmapped prompts); other sysexits codes when fetching the answer failed.
            \(ToolHelp.footer)

            """)
            exit(arguments.isEmpty ? ExitCode.usage.rawValue : Int32(0))
        }

        Tool.run("sg-askpass") {
            // gnome-ssh-askpass joins every argument; ssh and git pass exactly one.
            let prompt = arguments.joined(separator: " ")
            switch try AskpassTool.answer(prompt: prompt, environment: Environment.current) {
            case .answer(let value):
                SecretOutput.write(value, newline: true)
                return 0
            case .refused(let why):
                // A refusal may quote the prompt (a key path, a key comment): escaped like every error.
                Stderr.write("sg-askpass: \(why.escapingControlCharacters())\n")
                return AskpassDecision.refusalExitCode
            }
        }
    }
}
