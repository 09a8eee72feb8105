package org.smtpdetect.event;

/** {@link EventParserTest}'s behaviour from the scanner. */
class EventScannerTest extends EventParserTest {
    @Override
    EventReader reader(FieldSchema schema) {
        return new EventScanner(schema);
    }
}
