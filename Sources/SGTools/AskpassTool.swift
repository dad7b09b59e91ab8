import SGCore
import SGResolver
import SGSSH

/// What `sg-askpass PROMPT` does: classify the prompt, decide from config, fetch the answer.
/// Config is loaded only for prompts that config can answer, so a refused host-key question,
/// retry or notification never parses YAML, loads libcurl or touches the keyring.
///
///     switch try AskpassTool.answer(prompt: arg, environment: Environment.current) {
///     case .answer(let bytes): write bytes + "\n"; exit 0
///     case .refused(let why): stderr(why); exit 1
///     }
public enum AskpassTool {
    public enum Outcome {
        /// Print this (without newline; the caller adds one) and exit 0.
        case answer(SecretBytes)
        /// Print nothing, say why on stderr, exit `AskpassDecision.refusalExitCode`.
        case refused(String)
    }

    public static func answer(prompt text: String, environment: [String: String],
                              loadConfig: () throws -> Config = { try ConfigLoader.load() }) throws -> Outcome {
        let prompt = AskpassPrompt.classify(text, hint: environment["SSH_ASKPASS_PROMPT"])
        let config = needsConfig(prompt) ? try loadConfig() : Config()
        switch AskpassPolicy.decide(prompt, config: config, environment: environment) {
        case .secret(let name):
            let secret = try ToolContext.resolver(config: config).resolve(secret: try config.secret(name))
            try AskpassPolicy.validateAnswer(secret.value)
            return .answer(secret.value)
        case .text(let text):
            return .answer(SecretBytes(string: text))
        case .approve:
            // ssh-agent accepts exit 0 with an empty line or "yes" (readpass.c ask_permission).
            return .answer(SecretBytes(string: "yes"))
        case .refuse(let why):
            // "no ... rule matches": say which config was read, the usual cause of a missing rule.
            return .refused(why.hasPrefix("no ") && needsConfig(prompt) ? "\(why); \(config.readSummary)" : why)
        }
    }

    /// Prompts whose answer depends on config; every other kind is refused without reading it.
    static func needsConfig(_ prompt: AskpassPrompt) -> Bool {
        switch prompt {
        case .keyPassphrase, .password, .keyboardInteractive, .gitUsername, .gitPassword, .agentConfirm:
            return true
        case .badPassphrase, .passwordChange, .confirm, .notification, .hostKey, .unknown:
            return false
        }
    }
}
