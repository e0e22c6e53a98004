/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-address-check"

#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "nb-address-check.h"

/*
 * Which addresses web_fetch must not reach (SSRF): everything that is not a
 * public unicast address. IPv6 forms that carry an IPv4 address (mapped,
 * compatible, NAT64, 6to4) are judged by that address.
 */

static gboolean
ipv4_is_private (const guint8 *b)
{
  return b[0] == 0 ||                                  /* 0.0.0.0/8 "this network" */
         b[0] == 10 ||                                 /* 10/8 */
         b[0] == 127 ||                                /* loopback */
         (b[0] == 100 && (b[1] & 0xC0) == 64) ||       /* 100.64/10 shared (CGNAT) */
         (b[0] == 169 && b[1] == 254) ||               /* link-local */
         (b[0] == 172 && (b[1] & 0xF0) == 16) ||       /* 172.16/12 */
         (b[0] == 192 && b[1] == 0 && b[2] == 0) ||    /* 192.0.0/24 protocol assignments */
         (b[0] == 192 && b[1] == 168) ||               /* 192.168/16 */
         (b[0] == 198 && (b[1] & 0xFE) == 18) ||       /* 198.18/15 benchmarking */
         b[0] >= 224;                                  /* multicast, reserved, broadcast */
}

/**
 * nb_address_check_is_private:
 * @address: an address
 *
 * Returns: whether @address is loopback, private, link-local, unspecified,
 *   shared, multicast or otherwise not a public unicast address
 */
gboolean
nb_address_check_is_private (GInetAddress *address)
{
  const guint8 *b;
  static const guint8 zeros[12] = { 0 };
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

  g_return_val_if_fail (G_IS_INET_ADDRESS (address), TRUE);

  b = g_inet_address_to_bytes (address);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    return ipv4_is_private (b);

  /* ::/96 covers :: and ::1 as well as IPv4-compatible addresses. */
  if (memcmp (b, zeros, 12) == 0 || memcmp (b, mapped, 12) == 0 || memcmp (b, nat64, 12) == 0)
    return ipv4_is_private (b + 12);
  if (b[0] == 0x20 && b[1] == 0x02)                    /* 2002::/16 6to4 */
    return ipv4_is_private (b + 2);
  return (b[0] & 0xFE) == 0xFC ||                      /* fc00::/7 unique local */
         (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) ||    /* fe80::/10 link-local */
         (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) ||    /* fec0::/10 site-local */
         b[0] == 0xFF ||                               /* multicast */
         (b[0] == 0x01 && b[1] == 0 && b[2] == 0 && b[3] == 0) || /* 100::/64 discard */
         (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8); /* documentation */
}

/**
 * nb_address_check_parse_host:
 * @host: the host part of a URL (IPv6 with or without brackets)
 *
 * Parses a host that is an address, in every spelling a resolver or a
 * browser accepts for IPv4: dotted quads, but also "2130706433",
 * "0x7f000001", "0177.0.0.1" and "127.1" (inet_aton's forms).
 *
 * Returns: (transfer full) (nullable): the address, or %NULL for a name
 */
GInetAddress *
nb_address_check_parse_host (const char *host)
{
  g_autofree char *bare = NULL;
  struct in_addr in;
  gsize len;
  char *zone;

  g_return_val_if_fail (host != NULL, NULL);

  len = strlen (host);
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    bare = g_strndup (host + 1, len - 2);
  else
    bare = g_strdup (host);

  /* An IPv6 zone ("fe80::1%eth0", "%25" in URLs) does not change the address. */
  zone = strchr (bare, '%');
  if (zone != NULL && strchr (bare, ':') != NULL)
    *zone = '\0';

  if (g_hostname_is_ip_address (bare))
    {
      GInetAddress *address = g_inet_address_new_from_string (bare);

      if (address != NULL)
        return address;
    }

  /* A trailing dot is allowed by resolvers. */
  len = strlen (bare);
  if (len > 0 && bare[len - 1] == '.')
    bare[len - 1] = '\0';
  if (bare[0] != '\0' && strspn (bare, "0123456789abcdefABCDEFxX.") == strlen (bare) &&
      inet_aton (bare, &in) != 0)
    return g_inet_address_new_from_bytes ((const guint8 *) &in.s_addr, G_SOCKET_FAMILY_IPV4);

  return NULL;
}
