/*
 * validate.h: pure validators of structured PII values: checksums (Luhn,
 * ISO 13616 mod-97, ABA 3-7-1, ISO 3779 VIN, NHS and UTR mod-11), issuing
 * rules (SSN, ITIN, NINO), address syntax (IPv4, IPv6, MAC) and code shapes
 * (BIC, AWS keys). The recogniser finds candidates; these decide.
 *
 * Every function takes a borrowed byte range (not NUL-terminated), reads
 * nothing else, allocates nothing and returns 1 (valid) or 0. "Compact"
 * inputs have their separators already removed; the others accept the
 * separators their format allows.
 */
#ifndef BW_PII_VALIDATE_H
#define BW_PII_VALIDATE_H

#include "filters/bw.h"

/* Luhn (ISO/IEC 7812) over n ASCII digits. */
int bw_pii_luhn(const char *d, size_t n);

/* Credit/debit card: 12..19 compact digits, Luhn, not all one digit. */
int bw_pii_card_valid(const char *d, size_t n);

/*
 * IBAN, compact (no spaces), either case: known country, that country's
 * length, BBAN characters alphanumeric, mod-97 == 1.
 */
int bw_pii_iban_valid(const char *s, size_t n);
/* Registered IBAN length of a country ("DE" -> 22), 0 when unknown. */
int bw_pii_iban_length(const char *cc);

/* ABA routing number: 9 digits, known Federal Reserve prefix, 3-7-1 checksum. */
int bw_pii_aba_valid(const char *d, size_t n);

/* VIN: 17 chars of [A-HJ-NPR-Z0-9] (either case), ISO 3779 check digit at position 9. */
int bw_pii_vin_valid(const char *s, size_t n);
/* VIN shape only (17 chars, no I/O/Q, letters and digits both present). */
int bw_pii_vin_shape(const char *s, size_t n);

/* UK NHS number: 10 digits, mod-11 check digit (weights 10..2). */
int bw_pii_nhs_valid(const char *d, size_t n);

/* UK UTR: 10 digits, HMRC check digit first (weights 6,7,8,9,10,5,4,3,2). */
int bw_pii_utr_valid(const char *d, size_t n);

/*
 * US SSN, 9 compact digits: area not 000, 666 or 9xx, group not 00, serial
 * not 0000, not one repeated digit, not the well-known fakes (123456789,
 * 987654320-9, 078051120, 219099999).
 */
int bw_pii_ssn_valid(const char *d, size_t n);

/* US ITIN, 9 compact digits: 9xx, digits 4-5 in 50-65, 70-88, 90-92, 94-99. */
int bw_pii_itin_valid(const char *d, size_t n);

/* Canadian SIN, 9 compact digits: Luhn, first digit not 0 or 8. */
int bw_pii_sin_valid(const char *d, size_t n);

/* NANP number, 10 compact digits: area and exchange [2-9]xx, not N11 area. */
int bw_pii_nanp_valid(const char *d, size_t n);

/* IPv4 dotted quad, octets 0..255 without leading zeros beyond "0". */
int bw_pii_ipv4_valid(const char *s, size_t n);
/* IPv6 as inet_pton takes it (optionally a trailing %zone is refused). */
int bw_pii_ipv6_valid(const char *s, size_t n);

/*
 * MAC-48: six hex pairs with one consistent ':' or '-', or Cisco
 * "xxxx.xxxx.xxxx"; not all 00 nor all FF.
 */
int bw_pii_mac_valid(const char *s, size_t n);

/* ISO 3166-1 alpha-2 country code, either case. */
int bw_pii_iso3166(const char *cc);

/*
 * SWIFT/BIC, compact, UPPER case as written: 4 letters, a valid country,
 * 2 alphanumerics (location, second not 'O'... not checked), optional
 * 3 alphanumerics (branch).
 */
int bw_pii_bic_valid(const char *s, size_t n);

/*
 * UK NINO, compact (9 chars, either case): first letter not D F I Q U V,
 * second not D F I O Q U V, prefix not BG GB KN NK NT TN ZZ, 6 digits,
 * suffix A-D.
 */
int bw_pii_nino_valid(const char *s, size_t n);

/* AWS access key id: known 4-letter prefix + 16 of [A-Z2-7], upper case. */
int bw_pii_aws_access_key_valid(const char *s, size_t n);

/*
 * AWS secret access key: 40 chars of [A-Za-z0-9/+], upper and lower case
 * and a digit present, Shannon entropy over 4.0 bits per char.
 */
int bw_pii_aws_secret_plausible(const char *s, size_t n);

#endif
