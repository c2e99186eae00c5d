package dev.ocitag.distribution;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code WWW-Authenticate} challenge (RFC 7235): its scheme and parameters, such as {@code
 * Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull"}.
 *
 * @param scheme lower case: {@code basic} or {@code bearer} (others are kept but not answered)
 */
record Challenge(String scheme, Map<String, String> params) {

  String param(String name) {
    return params.get(name);
  }

  /** The first Bearer challenge among the headers, else the first Basic one, else null. */
  static Challenge pick(List<String> headerValues) {
    Challenge basic = null;
    Challenge other = null;
    for (String value : headerValues) {
      Challenge c = parse(value);
      if (c == null) {
        continue;
      }
      if (c.scheme.equals("bearer")) {
        return c;
      }
      if (c.scheme.equals("basic") && basic == null) {
        basic = c;
      } else if (other == null) {
        other = c;
      }
    }
    return basic != null ? basic : other;
  }

  /** Parses one header value; quoted strings may hold commas and escaped quotes. */
  static Challenge parse(String value) {
    String v = value.strip();
    int space = v.indexOf(' ');
    String scheme = (space < 0 ? v : v.substring(0, space)).toLowerCase(Locale.ROOT);
    if (scheme.isEmpty()) {
      return null;
    }
    Map<String, String> params = new LinkedHashMap<>();
    int i = space < 0 ? v.length() : space + 1;
    while (i < v.length()) {
      while (i < v.length() && (v.charAt(i) == ' ' || v.charAt(i) == ',')) {
        i++;
      }
      int eq = v.indexOf('=', i);
      if (eq < 0) {
        break;
      }
      String key = v.substring(i, eq).strip().toLowerCase(Locale.ROOT);
      i = eq + 1;
      StringBuilder val = new StringBuilder();
      if (i < v.length() && v.charAt(i) == '"') {
        i++;
        while (i < v.length() && v.charAt(i) != '"') {
          char c = v.charAt(i);
          if (c == '\\' && i + 1 < v.length()) {
            c = v.charAt(++i);
          }
          val.append(c);
          i++;
        }
        i++; // closing quote
      } else {
        while (i < v.length() && v.charAt(i) != ',') {
          val.append(v.charAt(i++));
        }
      }
      params.put(key, val.toString().strip());
    }
    return new Challenge(scheme, Map.copyOf(params));
  }
}
