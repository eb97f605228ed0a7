// libFuzzer target for the JSON parser (Sources/StoaCore/JSONValue*.swift), compiled into one
// module with it by `scripts/fuzz --only json`. Traps if parsing under the request limits and
// under the trusted limits disagree on input both accept, if a parsed value does not survive
// serialising and parsing again, or if a refusal under the request limits is not one of the
// documented reasons.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let trusted = JSONValue.parse(bytes)
    do {
        let limited = try JSONValue.parseOrThrow(bytes, limits: .request)
        guard let trusted else { fatalError("accepted under the request limits, refused when trusted") }
        if limited != trusted { fatalError("request and trusted parses differ") }
        let again = JSONValue.parse(limited.serialized)
        if again != limited { fatalError("serialise → parse changed the value: \(limited.serialized.prefix(200))") }
    } catch {
        switch error {
        case .invalid:
            if trusted != nil { fatalError("invalid under the request limits, valid when trusted") }
        case .tooDeep, .tooManyMembers, .tooManyElements, .stringTooLong:
            break
        }
        if error.description.isEmpty { fatalError("empty error message") }
    }
    return 0
}
