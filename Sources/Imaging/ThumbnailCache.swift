import Foundation

/// Thumbnails keep the image's aspect ratio and fit inside a box; the box is the cache key.
public struct ThumbnailSize: Hashable, Sendable {
    public var maxWidth: Int
    public var maxHeight: Int
    public init(maxWidth: Int, maxHeight: Int) {
        precondition(maxWidth > 0 && maxHeight > 0, "thumbnail box")
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
    }

    /// The size of an image of `width`×`height` scaled to fit this box (never enlarged past 4×).
    public func fitting(width: Int, height: Int) -> (width: Int, height: Int) {
        guard width > 0, height > 0 else { return (1, 1) }
        let scale = min(Double(maxWidth) / Double(width), Double(maxHeight) / Double(height), 4)
        return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())))
    }
}

/// A bounded, thread-safe, least-recently-used cache of thumbnails keyed by image and size.
///
/// The TUI asks for the same few sizes over and over while the expert moves through a queue; keeping the
/// scaled pixels avoids decoding and resizing each image again on every redraw.
public final class ThumbnailCache<Key: Hashable & Sendable>: @unchecked Sendable {
    private struct Entry {
        var image: PixelImage
        var lastUse: UInt64
    }

    private let lock = NSLock()
    private var entries: [CacheKey: Entry] = [:]
    private var clock: UInt64 = 0
    private var bytes = 0
    /// The most pixel bytes kept; the least recently used thumbnails go first.
    public let capacityBytes: Int

    private struct CacheKey: Hashable {
        var key: Key
        var size: ThumbnailSize
    }

    public init(capacityBytes: Int = 64 << 20) {
        self.capacityBytes = capacityBytes
    }

    /// The number of thumbnails held.
    public var count: Int { lock.withLock { entries.count } }

    /// The thumbnail of `key` at `size`, made by `source` (which returns the full image) on a miss.
    public func thumbnail(for key: Key, size: ThumbnailSize,
                          source: () throws -> PixelImage) rethrows -> PixelImage {
        let cacheKey = CacheKey(key: key, size: size)
        if let hit: PixelImage = lock.withLock({
            clock += 1
            guard var entry = entries[cacheKey] else { return nil }
            entry.lastUse = clock
            entries[cacheKey] = entry
            return entry.image
        }) {
            return hit
        }
        let full = try source()
        let fit = size.fitting(width: full.width, height: full.height)
        let thumb = Preprocessing.resized(full, width: fit.width, height: fit.height)
        lock.withLock {
            clock += 1
            if let old = entries.updateValue(Entry(image: thumb, lastUse: clock), forKey: cacheKey) {
                bytes -= old.image.pixels.count
            }
            bytes += thumb.pixels.count
            evictIfNeeded()
        }
        return thumb
    }

    private func evictIfNeeded() {
        guard bytes > capacityBytes else { return }
        // Evict oldest first until under 3/4 of the capacity, so eviction is not paid on every insert.
        let ordered = entries.sorted { $0.value.lastUse < $1.value.lastUse }
        for (key, entry) in ordered where bytes > capacityBytes * 3 / 4 {
            entries[key] = nil
            bytes -= entry.image.pixels.count
        }
    }
}
