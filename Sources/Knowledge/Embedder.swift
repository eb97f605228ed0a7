import Foundation

/// Turns text into vectors (an embeddings endpoint of a model provider).
public protocol Embedder: Sendable {
    /// `openai:text-embedding-3-small`, … — stored with the vectors so a change of model re-embeds.
    var name: String { get }
    /// One vector per text, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// Vectors as stored: little-endian Float32, base64 (portable across both databases).
public enum VectorCodec {
    public static func encode(_ vector: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }

    public static func decode(_ text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        var out = [Float](repeating: 0, count: data.count / 4)
        data.withUnsafeBytes { raw in
            for i in 0..<out.count {
                out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
        }
        return out
    }

    /// The vector scaled to length 1 (so a dot product is the cosine similarity).
    public static func normalized(_ v: [Float]) -> [Float] {
        var sum: Float = 0
        for x in v { sum += x * x }
        guard sum > 0 else { return v }
        let scale = 1 / sum.squareRoot()
        return v.map { $0 * scale }
    }
}
