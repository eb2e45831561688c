// Hex encoding and the SHA-256 of a body, shared by the receivers' signature checks.

const encoder = new TextEncoder();

/** The bytes of a hex string, or null when it is not one. */
export function hexDecode(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^([0-9a-f]{2})+$/i.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function hexEncode(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Hex SHA-256 of a body: the delivery id of networks that send none (a retry repeats the body). */
export async function deliveryId(body: string): Promise<string> {
  return hexEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(body))));
}
