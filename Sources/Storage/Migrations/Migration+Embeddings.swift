extension Migration {
    /// Optional chunk vectors (`STOA_EMBEDDINGS`): base64 Float32, with the model that made them.
    static let embeddings = Migration(
        version: 4,
        name: "chunk embeddings",
        up: [#"ALTER TABLE "chunk" ADD COLUMN "embedding" text"#, #"ALTER TABLE "document" ADD COLUMN "embedding_model" text"#],
        down: [#"ALTER TABLE "document" DROP COLUMN "embedding_model""#, #"ALTER TABLE "chunk" DROP COLUMN "embedding""#])
}
