package dev.pgbackup.restore;

import java.util.ArrayList;
import java.util.List;

/** A list setting (search_path and the like) as pg_db_role_setting stores it, read back element by element. */
final class SettingList {
    private SettingList() {}

    /** A list setting's elements: comma-separated, each possibly a double-quoted identifier ("" inside quotes). */
    static List<String> split(String value) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < value.length()) {
            while (i < value.length() && (value.charAt(i) == ' ' || value.charAt(i) == ',')) {
                i++;
            }
            if (i >= value.length()) {
                break;
            }
            StringBuilder element = new StringBuilder();
            if (value.charAt(i) == '"') {
                i++;
                while (i < value.length()) {
                    char c = value.charAt(i++);
                    if (c == '"') {
                        if (i < value.length() && value.charAt(i) == '"') {
                            element.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        element.append(c);
                    }
                }
            } else {
                while (i < value.length() && value.charAt(i) != ',') {
                    element.append(value.charAt(i++));
                }
            }
            out.add(element.toString().strip());
        }
        return out;
    }
}
