package io.tributary.api.ws;

/**
 * Copies JSON text into a frame the way the JSON-P generator writes a parsed value: without
 * insignificant whitespace and with strings escaped as the generator escapes them. It is the fast
 * path of {@link JsonRecordEncoder} for values stored as JSON, which would otherwise be parsed into a
 * tree and written again for every record delivered.
 *
 * <p>It takes only what it can copy with exactly the generator's output: strict RFC 8259 text, nested
 * at most {@value #MAX_DEPTH} deep, objects of at most {@value #MAX_KEYS} distinct names, numbers that
 * the generator writes as they are (integers of up to 18 digits other than {@code -0}, decimals
 * without an exponent whose value does not start with {@code 0.0} and is not negative zero). Anything
 * else (exponents, duplicate names, leniencies the parser allows) is declined and the caller takes
 * the JSON-P path, so the output never depends on which path ran.
 *
 * <p>Not thread-safe: one instance per copy.
 */
final class JsonText {

    static final int MAX_DEPTH = 64;
    static final int MAX_KEYS = 64;

    /** Declined: the caller must undo what was appended and take the JSON-P path. */
    static final long DECLINED = -1;

    private final String s;
    private final int len;
    /** Where the copy goes; null for the first pass, which only checks the text is already as the generator writes it. */
    private final StringBuilder out;
    private int pos;
    private int depth;
    /** UTF-8 bytes appended beyond one per char. */
    private long extra;
    /** Whether the text seen so far is exactly what the generator would write. */
    private boolean canonical = true;

    private JsonText(String s, StringBuilder out) {
        this.s = s;
        this.len = s.length();
        this.out = out;
    }

    /**
     * Appends {@code text} normalized to {@code out}.
     *
     * @return how many more UTF-8 bytes than chars were appended, or {@link #DECLINED} (then
     *     {@code out} holds a partial copy the caller must cut off)
     */
    static long copy(String text, StringBuilder out) {
        // Most stored JSON is already compact and needs no re-escaping: check that in one pass and
        // append the text whole, which is much cheaper than copying it char by char.
        JsonText check = new JsonText(text, null);
        if (!check.document()) {
            return DECLINED;
        }
        if (check.canonical) {
            out.append(text);
            return check.extra;
        }
        JsonText t = new JsonText(text, out);
        return t.document() ? t.extra : DECLINED;
    }

    private boolean document() {
        skipWhitespace();
        if (!value()) {
            return false;
        }
        skipWhitespace();
        return pos == len;
    }

    private void append(char c) {
        if (out != null) {
            out.append(c);
        }
    }

    /**
     * Appends {@code value} as a JSON string, escaped as the generator escapes.
     *
     * @return how many more UTF-8 bytes than chars were appended
     */
    static long appendString(StringBuilder out, String value) {
        long extra = 0;
        boolean afterHigh = false;
        int n = value.length();
        int i = 0;
        for (; i < n; i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\') {
                break;
            }
            if (c >= 0x80) {
                extra += utf8Extra(c, afterHigh);
            }
            afterHigh = Character.isHighSurrogate(c);
        }
        out.append('"').append(value, 0, i);
        for (; i < n; i++) {
            char c = value.charAt(i);
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                out.append(c);
                afterHigh = false;
            } else {
                extra += escaped(out, c, afterHigh);
                afterHigh = Character.isHighSurrogate(c);
            }
        }
        out.append('"');
        return extra;
    }

    /** UTF-8 bytes of a char at or above 0x80 beyond one, counting a surrogate pair as four bytes for two chars. */
    private static int utf8Extra(char c, boolean afterHigh) {
        if (c < 0x800) {
            return 1;
        }
        // The high surrogate before a low one was counted as three bytes; the pair is four.
        return Character.isLowSurrogate(c) && afterHigh ? 0 : 2;
    }

    /**
     * Appends one char of a string's content, escaped if the generator escapes it.
     *
     * @return its UTF-8 bytes beyond one, counting a surrogate pair as four bytes for two chars
     */
    private static int escaped(StringBuilder out, char c, boolean afterHigh) {
        switch (c) {
            case '"' -> out.append("\\\"");
            case '\\' -> out.append("\\\\");
            case '\b' -> out.append("\\b");
            case '\f' -> out.append("\\f");
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            default -> {
                if (c < 0x20) {
                    out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    return 0;
                }
                out.append(c);
                return c < 0x80 ? 0 : utf8Extra(c, afterHigh);
            }
        }
        return 0;
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private void skipWhitespace() {
        while (pos < len) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            canonical = false;
            pos++;
        }
    }

    private boolean value() {
        if (pos >= len) {
            return false;
        }
        return switch (s.charAt(pos)) {
            case '{' -> container('}');
            case '[' -> container(']');
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        };
    }

    /**
     * An object ({@code close} is '}') or an array (']'): members separated by commas, in an object
     * each a name, a colon and a value, in an array a value.
     */
    private boolean container(char close) {
        if (++depth > MAX_DEPTH) {
            return false;
        }
        append(s.charAt(pos++));
        skipWhitespace();
        if (pos < len && s.charAt(pos) == close) {
            pos++;
            append(close);
            depth--;
            return true;
        }
        boolean object = close == '}';
        // Where each name sits in out (start, end pairs): a repeated name would be merged by the parser.
        int[] names = object ? new int[16] : null;
        int count = 0;
        while (true) {
            if (object) {
                if (pos >= len || s.charAt(pos) != '"' || count == MAX_KEYS) {
                    return false;
                }
                int start = out != null ? out.length() : pos;
                if (!string()) {
                    return false;
                }
                int end = out != null ? out.length() : pos;
                for (int k = 0; k < count; k++) {
                    if (sameText(names[2 * k], names[2 * k + 1], start, end)) {
                        return false;
                    }
                }
                if (2 * count + 1 >= names.length) {
                    names = java.util.Arrays.copyOf(names, names.length * 2);
                }
                names[2 * count] = start;
                names[2 * count + 1] = end;
                count++;
                skipWhitespace();
                if (pos >= len || s.charAt(pos) != ':') {
                    return false;
                }
                pos++;
                append(':');
                skipWhitespace();
            }
            if (!value()) {
                return false;
            }
            skipWhitespace();
            if (pos >= len) {
                return false;
            }
            char c = s.charAt(pos++);
            if (c == close) {
                append(close);
                depth--;
                return true;
            } else if (c != ',') {
                return false;
            }
            append(',');
            skipWhitespace();
        }
    }

    /**
     * Whether two names are the same: compared as written to {@code out}, or on the checking pass as
     * they are in the text (exact there, since a name with an escape makes the text non-canonical and
     * the copying pass compares again).
     */
    private boolean sameText(int aStart, int aEnd, int bStart, int bEnd) {
        if (aEnd - aStart != bEnd - bStart) {
            return false;
        }
        CharSequence where = out != null ? out : s;
        for (int i = 0; i < aEnd - aStart; i++) {
            if (where.charAt(aStart + i) != where.charAt(bStart + i)) {
                return false;
            }
        }
        return true;
    }

    private boolean string() {
        pos++;
        append('"');
        boolean afterHigh = false;
        while (pos < len) {
            char c = s.charAt(pos++);
            if (c == '"') {
                append('"');
                return true;
            }
            if (c == '\\') {
                canonical = false;
                if (pos >= len) {
                    return false;
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case '"', '\\', '/' -> c = e;
                    case 'b' -> c = '\b';
                    case 'f' -> c = '\f';
                    case 'n' -> c = '\n';
                    case 'r' -> c = '\r';
                    case 't' -> c = '\t';
                    case 'u' -> {
                        if (pos + 4 > len) {
                            return false;
                        }
                        int code = 0;
                        for (int i = 0; i < 4; i++) {
                            int d = Character.digit(s.charAt(pos++), 16);
                            if (d < 0) {
                                return false;
                            }
                            code = code * 16 + d;
                        }
                        c = (char) code;
                    }
                    default -> {
                        return false;
                    }
                }
            } else if (c < 0x20) {
                return false;
            }
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                append(c);
            } else if (out != null) {
                extra += escaped(out, c, afterHigh);
            } else if (c >= 0x80) {
                extra += utf8Extra(c, afterHigh);
            }
            afterHigh = Character.isHighSurrogate(c);
        }
        return false;
    }

    private boolean literal(String word) {
        if (!s.startsWith(word, pos)) {
            return false;
        }
        pos += word.length();
        if (out != null) {
            out.append(word);
        }
        return true;
    }

    private boolean number() {
        int start = pos;
        boolean negative = false;
        if (s.charAt(pos) == '-') {
            negative = true;
            pos++;
        }
        int intStart = pos;
        if (pos >= len) {
            return false;
        }
        char c = s.charAt(pos);
        if (c == '0') {
            pos++;
        } else if (c >= '1' && c <= '9') {
            while (pos < len && isDigit(s.charAt(pos))) {
                pos++;
            }
        } else {
            return false;
        }
        int intDigits = pos - intStart;
        boolean zero = intDigits == 1 && s.charAt(intStart) == '0';
        if (pos < len && s.charAt(pos) == '.') {
            pos++;
            int fraction = pos;
            while (pos < len && isDigit(s.charAt(pos))) {
                pos++;
            }
            // The generator writes decimals as BigDecimal.toString: "0.0000001" becomes "1E-7", "-0.0" "0.0".
            if (pos == fraction || (zero && (negative || s.charAt(fraction) == '0'))) {
                return false;
            }
        } else if (intDigits > 18 || (negative && zero)) {
            // Longer integers go through BigDecimal; "-0" is written as "0".
            return false;
        }
        if (pos < len && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
            return false;
        }
        if (out != null) {
            out.append(s, start, pos);
        }
        return true;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
