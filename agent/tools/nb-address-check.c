/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-address-check"

#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "nb-address-check.h"

/*
 * Which addresses web_fetch must not reach (SSRF): every address that is
 * not globally reachable. The table below is the IANA special-purpose
 * address registries, each row with its "Globally Reachable" column
 * (rows marked "N/A" or "False" are refused):
 *   https://www.iana.org/assignments/iana-ipv4-special-registry/
 *   https://www.iana.org/assignments/iana-ipv6-special-registry/
 * plus what the address-space registries set aside for other uses
 * (IPv4 multicast 224.0.0.0/4; in IPv6 everything outside global unicast
 * 2000::/3: fc00::/7, fe80::/10, the deprecated site-local fec0::/10,
 * multicast ff00::/8, and the ranges "Reserved by IETF"):
 *   https://www.iana.org/assignments/ipv4-address-space/
 *   https://www.iana.org/assignments/ipv6-address-space/
 * The longest matching prefix decides, so the few globally reachable
 * assignments inside a refused block (2001:1::1/128 …) stay reachable.
 * IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64 well
 * known prefix, 6to4) are judged by that address first.
 */
typedef struct
{
  const char *prefix;
  gboolean    globally_reachable;
  const char *name;
} SpecialRange;

static const SpecialRange special_ranges[] = {
  /* IPv4 special-purpose registry */
  { "0.0.0.0/8", FALSE, "this network" },
  { "10.0.0.0/8", FALSE, "private use" },
  { "100.64.0.0/10", FALSE, "shared address space (CGNAT)" },
  { "127.0.0.0/8", FALSE, "loopback" },
  { "169.254.0.0/16", FALSE, "link local" },
  { "172.16.0.0/12", FALSE, "private use" },
  { "192.0.0.0/24", FALSE, "IETF protocol assignments" },
  { "192.0.0.9/32", TRUE, "port control protocol anycast" },
  { "192.0.0.10/32", TRUE, "traversal using relays around NAT anycast" },
  { "192.0.2.0/24", FALSE, "documentation (TEST-NET-1)" },
  { "192.88.99.0/24", FALSE, "deprecated 6to4 relay anycast" },
  { "192.168.0.0/16", FALSE, "private use" },
  { "198.18.0.0/15", FALSE, "benchmarking" },
  { "198.51.100.0/24", FALSE, "documentation (TEST-NET-2)" },
  { "203.0.113.0/24", FALSE, "documentation (TEST-NET-3)" },
  { "240.0.0.0/4", FALSE, "reserved" },
  { "255.255.255.255/32", FALSE, "limited broadcast" },
  /* IPv4 address space registry */
  { "224.0.0.0/4", FALSE, "multicast" },

  /* IPv6 address space registry: only global unicast is public */
  { "::/0", FALSE, "reserved by IETF" },
  { "2000::/3", TRUE, "global unicast" },
  { "fc00::/7", FALSE, "unique local" },
  { "fe80::/10", FALSE, "link-local unicast" },
  { "fec0::/10", FALSE, "site-local (deprecated)" },
  { "ff00::/8", FALSE, "multicast" },
  /* IPv6 special-purpose registry */
  { "::1/128", FALSE, "loopback" },
  { "::/128", FALSE, "unspecified" },
  { "64:ff9b:1::/48", FALSE, "local-use IPv4/IPv6 translation" },
  { "100::/64", FALSE, "discard-only" },
  { "100:0:0:1::/64", FALSE, "dummy IPv6 prefix" },
  { "2001::/23", FALSE, "IETF protocol assignments" },
  { "2001::/32", FALSE, "TEREDO" },
  { "2001:1::1/128", TRUE, "port control protocol anycast" },
  { "2001:1::2/128", TRUE, "traversal using relays around NAT anycast" },
  { "2001:1::3/128", TRUE, "DNS-SD service registration protocol anycast" },
  { "2001:2::/48", FALSE, "benchmarking" },
  { "2001:3::/32", TRUE, "AMT" },
  { "2001:4:112::/48", TRUE, "AS112-v6" },
  { "2001:10::/28", FALSE, "deprecated ORCHID" },
  { "2001:20::/28", TRUE, "ORCHIDv2" },
  { "2001:30::/28", TRUE, "drone remote ID protocol entity tags" },
  { "2001:db8::/32", FALSE, "documentation" },
  { "3fff::/20", FALSE, "documentation" },
  { "5f00::/16", FALSE, "segment routing (SRv6) SIDs" },
};

static GPtrArray *
special_masks (void)
{
  static GPtrArray *masks;

  if (g_once_init_enter (&masks))
    {
      GPtrArray *parsed = g_ptr_array_new ();

      for (guint i = 0; i < G_N_ELEMENTS (special_ranges); i++)
        {
          g_autoptr(GError) error = NULL;
          GInetAddressMask *mask = g_inet_address_mask_new_from_string (special_ranges[i].prefix, &error);

          g_assert_no_error (error);
          g_ptr_array_add (parsed, mask);
        }
      g_once_init_leave (&masks, parsed);
    }
  return masks;
}

/* The row of special_ranges with the longest prefix that holds @address,
 * or NULL when none does (an ordinary public IPv4 address). */
static const SpecialRange *
special_range_of (GInetAddress *address)
{
  GPtrArray *masks = special_masks ();
  const SpecialRange *best = NULL;
  guint best_length = 0;

  for (guint i = 0; i < masks->len; i++)
    {
      GInetAddressMask *mask = g_ptr_array_index (masks, i);

      if (g_inet_address_mask_get_family (mask) != g_inet_address_get_family (address) ||
          !g_inet_address_mask_matches (mask, address))
        continue;
      if (best == NULL || g_inet_address_mask_get_length (mask) >= best_length)
        {
          best = &special_ranges[i];
          best_length = g_inet_address_mask_get_length (mask);
        }
    }
  return best;
}

static gboolean
ipv4_is_private (const guint8 *b)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_bytes (b, G_SOCKET_FAMILY_IPV4);
  const SpecialRange *range = special_range_of (address);

  return range != NULL && !range->globally_reachable;
}

/**
 * nb_address_check_is_private:
 * @address: an address
 *
 * Returns: whether @address is not globally reachable: loopback, private,
 *   link-local, unspecified, shared, documentation, benchmarking,
 *   multicast, reserved or any other range of the IANA special-purpose
 *   registries that is not globally reachable
 */
gboolean
nb_address_check_is_private (GInetAddress *address)
{
  const guint8 *b;
  const SpecialRange *range;
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
  range = special_range_of (address);
  return range == NULL || !range->globally_reachable;
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
