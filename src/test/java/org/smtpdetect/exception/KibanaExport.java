package org.smtpdetect.exception;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes an exception list as Kibana's {@code _export} does: the list object, one line per item, the summary. */
public final class KibanaExport {
    private KibanaExport() {}

    /** The export of list {@code listId} (namespace single, type detection) with these items (JSON objects). */
    public static String text(String listId, String name, List<String> items) {
        StringBuilder b = new StringBuilder("{\"_version\":\"WzEsMV0=\",\"created_at\":\"2024-05-01T09:00:00.000Z\",\"created_by\":\"elastic\","
                + "\"description\":\"" + name + "\",\"id\":\"" + listId + "-so\",\"immutable\":false,\"list_id\":\"" + listId + "\","
                + "\"name\":\"" + name + "\",\"namespace_type\":\"single\",\"os_types\":[],\"tags\":[],\"tie_breaker_id\":\"t\","
                + "\"type\":\"detection\",\"updated_at\":\"2024-05-01T09:00:00.000Z\",\"updated_by\":\"elastic\",\"version\":1}\n");
        for (String item : items) b.append(item).append('\n');
        b.append("{\"exported_exception_list_count\":1,\"exported_exception_list_item_count\":").append(items.size())
                .append(",\"missing_exception_list_item_count\":0,\"missing_exception_list_items\":[],"
                        + "\"missing_exception_lists\":[],\"missing_exception_lists_count\":0}\n");
        return b.toString();
    }

    /** Writes {@link #text} to {@code file} (creating its directory) and returns the file. */
    public static Path write(Path file, String listId, String name, List<String> items) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Files.writeString(file, text(listId, name, items));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
