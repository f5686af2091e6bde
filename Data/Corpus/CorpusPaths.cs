using System.Text;
using System.Text.RegularExpressions;

namespace Gpt1Cluster.Data.Corpus;

/// <summary>
/// Turns what the user typed (files, directories, globs) into the corpus's file list. The list is
/// sorted by full path (ordinal), so document numbering, and therefore the train/val split, does not
/// depend on the order of arguments, the file system's listing order or the shell's locale.
/// </summary>
public static class CorpusPaths
{
    /// <summary>
    /// Resolves each entry: an existing file (must have a corpus extension), a directory (searched
    /// recursively; files of other kinds are ignored) or a glob (<c>*</c>, <c>?</c>, <c>**</c> for any
    /// depth). Shell-expanded lists work too, as several entries.
    /// </summary>
    public static IReadOnlyList<CorpusFile> Resolve(IEnumerable<string> pathsOrGlobs)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        var any = false;
        foreach (var spec in pathsOrGlobs)
        {
            any = true;
            foreach (var path in ResolveOne(spec)) paths.Add(Path.GetFullPath(path));
        }
        if (!any) throw new CorpusException("no corpus given: pass --corpus with a file, a directory or a quoted glob such as 'books/**/*.txt'");
        return [.. paths.Select(p => new CorpusFile(p, CorpusFormats.Detect(p)!.Value, new FileInfo(p).Length))];
    }

    static IEnumerable<string> ResolveOne(string spec)
    {
        if (File.Exists(spec))
        {
            if (CorpusFormats.Detect(spec) is null)
                throw new CorpusException($"{spec}: not a corpus file; the extension must be one of {CorpusFormats.SupportedExtensions}");
            return [spec];
        }
        if (Directory.Exists(spec))
        {
            var files = Directory.EnumerateFiles(spec, "*", Recursive).Where(f => CorpusFormats.Detect(f) is not null).ToList();
            if (files.Count == 0)
                throw new CorpusException($"{spec}: no corpus files in this directory or below (looked for {CorpusFormats.SupportedExtensions})");
            return files;
        }
        if (IsGlob(spec))
        {
            var files = ExpandGlob(spec).Where(f => CorpusFormats.Detect(f) is not null).ToList();
            if (files.Count == 0)
                throw new CorpusException($"'{spec}' matched no corpus files (looked for {CorpusFormats.SupportedExtensions}); check the pattern and quote it so the shell does not expand it");
            return files;
        }
        throw new FileNotFoundException($"corpus path '{spec}' does not exist; pass a file, a directory or a quoted glob such as 'books/**/*.txt'");
    }

    static readonly EnumerationOptions Recursive = new() { RecurseSubdirectories = true };

    static bool IsGlob(string spec) => spec.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>Files matching <paramref name="glob"/>: the wildcard-free leading folders are the root searched.</summary>
    internal static IEnumerable<string> ExpandGlob(string glob)
    {
        var normalized = glob.Replace('\\', '/');
        var segments = normalized.Split('/');
        var fixedCount = segments.TakeWhile(s => !IsGlob(s)).Count();
        var root = string.Join('/', segments.Take(fixedCount));
        if (fixedCount == 0) root = ".";
        else if (root.Length == 0) root = "/"; // an absolute glob such as /data/*.txt
        var pattern = string.Join('/', segments.Skip(fixedCount));
        if (!Directory.Exists(root)) return [];

        var regex = GlobToRegex(pattern);
        var options = new EnumerationOptions { RecurseSubdirectories = pattern.Contains('/') };
        return Directory.EnumerateFiles(root, "*", options)
            .Where(f => regex.IsMatch(Path.GetRelativePath(root, f).Replace('\\', '/')));
    }

    /// <summary><c>**/</c> is zero or more folders, <c>*</c> and <c>?</c> stay within one path segment.</summary>
    internal static Regex GlobToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                sb.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*') sb.Append("[^/]*");
            else if (c == '?') sb.Append("[^/]");
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
