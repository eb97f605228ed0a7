// libFuzzer target for form bodies (Sources/StoaCore/FormURLEncoded.swift), compiled into one
// module with it by `scripts/fuzz --only form`. Traps if parsing traps (it must accept any bytes),
// if names repeat in the result, if the field count exceeds the limit, or if a plain body (ASCII
// without `%` or `+`) does not come back field for field as written.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let raw = bytes.split(separator: UInt8(ascii: "&"))
    guard let fields = try? FormURLEncoded.parse(bytes, maxFields: 64) else {
        if raw.count <= 64 { fatalError("refused \(raw.count) fields under a limit of 64") }
        return 0
    }
    if fields.count > 64 { fatalError("more fields than the limit") }
    var names = Set<String>()
    for (name, _) in fields where !names.insert(name).inserted { fatalError("repeated name \(name)") }
    let plain = bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "%") && $0 != UInt8(ascii: "+") }
    guard plain else { return 0 }
    // The reference: split on the first "=", later repeats of a name overwrite its value in place.
    var expected: [(String, String)] = []
    for field in raw {
        let text = String(decoding: field, as: UTF8.self)
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]), value = parts.count > 1 ? String(parts[1]) : ""
        if let index = expected.firstIndex(where: { $0.0 == name }) { expected[index].1 = value } else { expected.append((name, value)) }
    }
    if expected.map(\.0) != fields.map(\.0) || expected.map(\.1) != fields.map(\.1) {
        fatalError("plain body parsed differently: \(expected.prefix(3)) vs \(fields.prefix(3))")
    }
    return 0
}
