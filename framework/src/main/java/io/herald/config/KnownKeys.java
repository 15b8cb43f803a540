package io.herald.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The keys of one pid that its readers asked for: every {@code get(key)} (and so every typed getter), every family
 * read with {@code keys(prefix)}, and "all of them" when a reader asked for {@code keys()}. Filled by the
 * {@link ConfigStore}'s configurations as the components read them, kept for the life of the store (a plugin
 * restarted with a new configuration asks again; what it asked before stays known).
 *
 * <p>A key of the file that is none of these is unknown: most likely misspelt ({@link #unknown}).
 */
final class KnownKeys {

    private final Set<String> exact = ConcurrentHashMap.newKeySet();
    private final Set<String> prefixes = ConcurrentHashMap.newKeySet();
    private volatile boolean all;

    void asked(String key) {
        exact.add(key);
    }

    void askedFamily(String prefix) {
        if (prefix.isEmpty()) all = true;
        else prefixes.add(prefix);
    }

    void askedAll() {
        all = true;
    }

    boolean knows(String key) {
        if (all || exact.contains(key)) return true;
        for (String p : prefixes) {
            if (key.startsWith(p)) return true;
        }
        return false;
    }

    /**
     * One warning per key of {@code fileValues} that nothing asked for, in key order:
     * {@code smtp.cfg: unknown key 'maxRecipent' (ignored); did you mean 'maxRecipients'?} (the suggestion only when a
     * known key is close).
     */
    List<String> unknown(String pid, Map<String, String> fileValues) {
        List<String> out = new ArrayList<>();
        for (String key : new TreeSet<>(fileValues.keySet())) {
            if (knows(key)) continue;
            String closest = closest(key);
            out.add(pid + ".cfg: unknown key '" + key + "' (ignored)" + (closest == null ? "" : "; did you mean '" + closest + "'?"));
        }
        return out;
    }

    /**
     * The known key nearest to {@code key} (edit distance, ignoring case) when it is near enough to be a slip: at most
     * a quarter of the key's length (1 to 3 edits; a change of case alone counts as none); for a family, the key with its first segment(s) replaced
     * by the family's prefix ({@code rout.example.org} to {@code route.example.org}). Null when none is.
     */
    String closest(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        int limit = Math.max(1, Math.min(3, key.length() / 4));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : new TreeSet<>(exact)) {
            int d = distance(lower, k.toLowerCase(Locale.ROOT));
            if (d <= limit && d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        for (String p : new TreeSet<>(prefixes)) {
            // the key's head, as many characters as the prefix give or take the limit, ending at a dot
            for (int end = key.indexOf('.'); end >= 0; end = key.indexOf('.', end + 1)) {
                if (Math.abs(end + 1 - p.length()) > limit || end + 1 >= key.length()) continue;
                int d = distance(lower.substring(0, end + 1), p.toLowerCase(Locale.ROOT));
                if (d <= limit && d < bestDistance) {
                    best = p + key.substring(end + 1);
                    bestDistance = d;
                }
            }
        }
        return best;
    }

    /** Damerau-Levenshtein distance (optimal string alignment): a swap of two neighbours is one edit. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
