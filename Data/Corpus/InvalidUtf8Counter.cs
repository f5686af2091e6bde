using System.Text;
using System.Text.Unicode;

namespace Gpt1Cluster.Data.Corpus;

/// <summary>
/// Decodes UTF-8 the forgiving way: each invalid sequence becomes one U+FFFD and is counted, so a
/// stray Latin-1 byte in a 5 GB corpus costs one replacement character, not the run. The count goes
/// into the manifest, where a large number says the corpus was not UTF-8 at all.
/// </summary>
public sealed class InvalidUtf8Counter
{
    long _replaced;

    public InvalidUtf8Counter()
    {
        // With a preamble, StreamReader skips a leading byte-order mark instead of passing U+FEFF on.
        var encoding = (Encoding)new UTF8Encoding(encoderShouldEmitUTF8Identifier: true).Clone();
        encoding.DecoderFallback = new CountingFallback(this);
        Encoding = encoding;
    }

    /// <summary>Invalid sequences replaced so far; safe to read from any thread.</summary>
    public long Replaced => Interlocked.Read(ref _replaced);

    /// <summary>UTF-8 that counts its replacements here. Give it to a StreamReader (which decodes once).</summary>
    public Encoding Encoding { get; }

    /// <summary>Decodes a whole buffer, counting each replacement once.</summary>
    public string Decode(ReadOnlySpan<byte> utf8)
    {
        // Valid text (nearly all of it) takes the vectorized path. Encoding.GetString would run the
        // fallback twice per bad sequence (once to size, once to fill), so invalid input goes through
        // a Decoder, which fills a buffer sized for the worst case of one char per byte.
        if (Utf8.IsValid(utf8)) return Encoding.UTF8.GetString(utf8);
        var chars = new char[utf8.Length];
        var written = Encoding.GetDecoder().GetChars(utf8, chars, flush: true);
        return new string(chars, 0, written);
    }

    /// <summary>Counts replacements made outside the decoder (broken escapes in JSON).</summary>
    internal void AddReplacements(long count) => Interlocked.Add(ref _replaced, count);

    void Add() => Interlocked.Increment(ref _replaced);

    sealed class CountingFallback(InvalidUtf8Counter owner) : DecoderFallback
    {
        public override int MaxCharCount => 1;
        public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer(owner);
    }

    sealed class Buffer(InvalidUtf8Counter owner) : DecoderFallbackBuffer
    {
        int _pending;

        public override int Remaining => _pending;

        public override bool Fallback(byte[] bytesUnknown, int index)
        {
            owner.Add();
            _pending = 1;
            return true;
        }

        public override char GetNextChar()
        {
            if (_pending == 0) return '\0';
            _pending--;
            return '\uFFFD';
        }

        public override bool MovePrevious()
        {
            if (_pending != 0) return false;
            _pending = 1;
            return true;
        }

        public override void Reset() => _pending = 0;
    }
}
