package org.smtpdetect.event;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class IpAddressesTest {

    /** Spellings the IP library's default parser accepts but Elasticsearch rejects. */
    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "10", "010.1.2.3", "1.2.3.04", " 8.8.8.8", "8.8.8.8 ", "1.2.3.*",
            "1.2.3.4/8", "10.0.0.0/8", "*", "mail.example.com", "not-an-ip", "1.2.3.4%eth0", "[::1]", "0x1.2.3.4",
            "255.255.255.256", "1::2::3", "00001::1", "::ffff:010.1.2.3", "1.2.3.4.", "1-2", "true", "167772161"})
    void rejectsWhatElasticsearchRejects(String text) {
        assertThat(IpAddresses.parse(text, new long[2])).as(text).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "10.1.2.3, 10.1.2.3",
        "::ffff:10.1.2.3, 10.1.2.3",
        "::FFFF:a01:203, 10.1.2.3",
        "0.0.0.0, 0.0.0.0",
        "0000::0001, ::1",
        "0:0:0:0:0:0:0:1, ::1",
        "fe80::1%eth0, fe80::1",
        "FE80::1, fe80::1",
        "2001:4860:4860::8888, 2001:4860:4860::8888",
        "::10.1.2.3, ::a01:203",
    })
    void parsesAsElasticsearchStoresThem(String text, String stored) {
        long[] a = new long[2];
        assertThat(IpAddresses.parse(text, a)).isTrue();
        assertThat(IpAddresses.format(a[0], a[1])).isEqualTo(stored);
    }

    @ParameterizedTest
    @CsvSource({
        "10.0.0.0/8, 10.255.255.255, true",
        "10.0.0.0/8, 11.0.0.0, false",
        "10.0.0.0/8, ::ffff:10.0.0.1, true",
        "172.16.0.0/12, 172.31.255.255, true",
        "172.16.0.0/12, 172.32.0.1, false",
        "224.0.0.0/4, 239.255.255.250, true",
        "224.0.0.0/4, 240.0.0.1, false",
        "FE80::/10, febf::1, true",
        "FE80::/10, fec0::1, false",
        "FF00::/8, ff02::1, true",
        "::1, 0000::0001, true",
        "0.0.0.0/0, 8.8.8.8, true",
        "0.0.0.0/0, 2001:db8::1, false",
        "::/0, 2001:db8::1, true",
        "10.1.2.3/8, 10.9.9.9, true",
    })
    void blocksContainAddresses(String block, String address, boolean expected) {
        long[] a = new long[2];
        assertThat(IpAddresses.parse(address, a)).isTrue();
        assertThat(IpAddresses.parseBlock(block).contains(a[0], a[1])).isEqualTo(expected);
    }
}
