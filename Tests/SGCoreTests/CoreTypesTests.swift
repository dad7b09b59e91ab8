import XCTest
@testable import SGCore

final class CoreTypesTests: XCTestCase {
    func testSecretBytesNeverPrintsItself() {
        let s = SecretBytes(string: "hunter2")
        XCTAssertEqual("\(s)", "<redacted>")
        XCTAssertEqual(String(describing: s), "<redacted>")
        XCTAssertEqual(String(reflecting: s), "<redacted>")
        var dumped = ""
        dump(s, to: &dumped)
        XCTAssertFalse(dumped.contains("hunter2"))
        XCTAssertEqual(s.count, 7)
        XCTAssertEqual(s.unsafeString(), "hunter2")
        XCTAssertTrue(s.constantTimeEquals(SecretBytes(string: "hunter2")))
        XCTAssertFalse(s.constantTimeEquals(SecretBytes(string: "hunter3")))
    }

    func testSecretBytesHelpers() {
        XCTAssertTrue(SecretBytes(string: "a\nb").containsLineBreakOrNUL)
        XCTAssertTrue(SecretBytes(bytes: [0x61, 0]).containsLineBreakOrNUL)
        XCTAssertFalse(SecretBytes(string: "plain").containsLineBreakOrNUL)
        XCTAssertEqual(SecretBytes(string: "x\r\n").droppingTrailingNewline().unsafeString(), "x")
        XCTAssertEqual(SecretBytes(string: "x\n\n").droppingTrailingNewline().unsafeString(), "x\n")
        XCTAssertFalse(SecretBytes(bytes: [0xFF, 0xFE]).isValidUTF8)
        XCTAssertTrue(SecretBytes(string: "ü").isValidUTF8)
        XCTAssertTrue(SecretBytes(string: "key").occurs(in: Array("a key here".utf8)))
        XCTAssertFalse(SecretBytes(string: "key").occurs(in: Array("a ke y".utf8)))
        XCTAssertEqual(SecretBytes(bytes: []).count, 0)
        XCTAssertEqual(Base64.encode(SecretBytes(string: "hello!?")).unsafeString(), "aGVsbG8hPw==")
        XCTAssertEqual(Base64.encode(SecretBytes(string: "ab")).unsafeString(), "YWI=")
    }

    func testReferencesParse() throws {
        XCTAssertEqual(try SecretReference(parsing: "sg:db"), .named("db", field: nil))
        XCTAssertEqual(try SecretReference(parsing: "sg:api.ci#ClientSecret"), .named("api.ci", field: "ClientSecret"))
        XCTAssertEqual(try SecretReference(parsing: "sg:token/spp"), .token(profile: "spp"))
        XCTAssertEqual(try SecretReference(nameOrReference: "db"), .named("db", field: nil))
        for bad in ["db", "sg:", "sg:a b", "sg:db#", "sg:db#a-b", "sg:token/", "sg:-x", "sg:x/y", "sg:\u{0}"] {
            XCTAssertThrowsError(try SecretReference(parsing: bad), bad) { e in
                XCTAssertEqual((e as? SGError)?.exitCode, .unknownSecret)
            }
        }
        XCTAssertEqual(SecretReference.named("a", field: "F").description, "sg:a#F")
    }

    func testEveryErrorMapsToItsSysexitsCode() {
        let table: [(SGError, Int32)] = [
            (.usage("u"), 64), (.malformedInput("m"), 65), (.unknownSecret("s"), 67), (.badReference("r"), 67),
            (.unreachable("x"), 69), (.serviceUnavailable("x"), 69), (.keyringUnavailable("x"), 69),
            (.timeout("t"), 75), (.retriesExhausted("r"), 75), (.unexpectedResponse("u"), 76),
            (.denied("d"), 77), (.loginRequired(profile: "p"), 77), (.config("c"), 78),
            (.unsafePermissions(path: "/p", problem: "x", fix: "chmod 600 /p"), 78), (.untrustedServer("u"), 78),
            (.io("i"), 74), (.internalError("i"), 70),
        ]
        for (error, code) in table {
            XCTAssertEqual(error.exitCode.rawValue, code, "\(error)")
            XCTAssertFalse(error.message.contains("\n"), "one line: \(error)")
        }
        XCTAssertTrue(SGError.loginRequired(profile: "spp").message.contains("run: sg-token login -p spp"))
    }

    func testJSONStringRoundTripsHostileValues() throws {
        let values = ["plain", "quote \" backslash \\ slash /", "tab\tnl\ncr\r", "pässwörd-秘密-🔑", String(repeating: "x", count: 4096), "\u{1}\u{1f}"]
        for v in values {
            let encoded = JSONString.encodeLiteral(SecretBytes(string: v))
            XCTAssertEqual(try JSONString.decodeLiteral(encoded).unsafeString(), v)
            // Foundation agrees with our encoder.
            let foundation = try JSONSerialization.jsonObject(with: Data(encoded.unsafeArray()), options: .fragmentsAllowed) as? String
            XCTAssertEqual(foundation, v)
        }
        XCTAssertEqual(try JSONString.decodeLiteral(SecretBytes(string: " \"\\ud83d\\udd11\\u00e4\" ")).unsafeString(), "🔑ä")
        for bad in ["", "\"", "x", "\"\\x\"", "\"\\ud83d\"", "\"\\udd11\"", "\"a\nb\"", "\"\\u12\""] {
            XCTAssertThrowsError(try JSONString.decodeLiteral(SecretBytes(string: bad)), bad)
        }
    }

    func testJSONValueParsesAndSerializes() throws {
        let json = try JSONValue.parse(#"{"Status":"Success","UserToken":"tok.en-1","n":-1.5e3,"ok":true,"none":null,"arr":[1,{"Code":60108}]}"#)
        XCTAssertEqual(json["status"]?.text, "Success")
        XCTAssertEqual(try json.require("UserToken").secret().unsafeString(), "tok.en-1")
        XCTAssertEqual(json["n"]?.text, "-1.5e3")
        XCTAssertEqual(json["arr"]?.arrayValue?[1]["Code"]?.intValue, 60108)
        XCTAssertThrowsError(try json.require("none"))
        XCTAssertEqual(try JSONValue.parse(json.serialized()).serialized().unsafeString(), json.serialized().unsafeString())
        for bad in ["{", "[1,]", "{\"a\" 1}", "tru", "1 2", String(repeating: "[", count: 100) + String(repeating: "]", count: 100)] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad)
        }
    }

    func testURLEncoding() {
        XCTAssertEqual(URLEncoding.percentEncode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9")
        XCTAssertEqual(URLEncoding.form([("user", SecretBytes(string: "a&b")), ("p", SecretBytes(string: "x y"))]).unsafeString(), "user=a%26b&p=x%20y")
        XCTAssertEqual(URLEncoding.parameters("code=ab%2Bc&x=1+2&e").map { $0.0 + "=" + $0.1 }, ["code=ab+c", "x=1 2", "e="])
    }

    func testLogLevelsAndSecretDescription() {
        XCTAssertEqual(Log.parseLevel("debug"), .debug)
        XCTAssertEqual(Log.parseLevel(nil), .warning)
        XCTAssertEqual(Log.parseLevel("ERROR"), .error)
        XCTAssertEqual(Log.describe(name: "API key", secret: SecretBytes(string: "abcdef")), "API key (6 bytes)")
    }

    func testParallelMapKeepsOrderAndRunsConcurrently() {
        final class Gauge: @unchecked Sendable {
            var lock = pthread_mutex_t()
            var now = 0, peak = 0
            init() { pthread_mutex_init(&lock, nil) }
            func enter() { pthread_mutex_lock(&lock); now += 1; peak = max(peak, now); pthread_mutex_unlock(&lock) }
            func leave() { pthread_mutex_lock(&lock); now -= 1; pthread_mutex_unlock(&lock) }
        }
        let gauge = Gauge()
        let out = parallelMap(count: 8, width: 4) { i -> Int in
            gauge.enter()
            usleep(50_000)
            gauge.leave()
            return i * i
        }
        XCTAssertEqual(out, [0, 1, 4, 9, 16, 25, 36, 49])
        XCTAssertGreaterThan(gauge.peak, 1)
        XCTAssertLessThanOrEqual(gauge.peak, 4)
    }

    func testSubprocessCapturesAndTimesOut() throws {
        let r = try Subprocess.capture(["/bin/sh", "-c", "printf out; exit 3"])
        XCTAssertEqual(r.status, 3)
        XCTAssertEqual(r.stdout.unsafeString(), "out")
        XCTAssertThrowsError(try Subprocess.capture(["/bin/sleep", "5"], timeout: 0.3)) { e in
            XCTAssertEqual((e as? SGError)?.exitCode, .tempFailure)
        }
    }
}
