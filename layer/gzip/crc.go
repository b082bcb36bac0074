package gzip

// CRC-32 (IEEE) arithmetic in GF(2)[x] modulo the CRC polynomial P, used to
// combine the CRCs of blocks computed independently.
//
// Polynomials are held in the bit-reflected form that hash/crc32 uses: bit 31
// holds the coefficient of x^0 and bit 0 that of x^31. For a message M the
// CRC register is r(M) = (init(M) + M·x^32) mod P with the conditioning that
// IEEE CRC-32 applies; for the concatenation A‖B the register of A simply
// moves on by |B| bytes, so
//
//	crc(A‖B) = crc(A)·x^(8·|B|) + crc(B)  (mod P)
//
// where the pre- and post-conditioning terms cancel out (they are the same
// for both sides, and addition in GF(2) is XOR).

// reflectedIEEE is the IEEE polynomial without its x^32 term, bit-reflected.
const reflectedIEEE = 0xedb88320

// one is the polynomial 1 (x^0) in reflected form.
const one = 1 << 31

// crc32Combine returns the CRC-32 (IEEE) of A‖B from crcA = CRC(A),
// crcB = CRC(B) and lenB = len(B) in bytes.
func crc32Combine(crcA, crcB uint32, lenB uint64) uint32 {
	return mulMod(crcA, xPow8n(lenB)) ^ crcB
}

// mulMod returns a·b mod P.
func mulMod(a, b uint32) uint32 {
	var p uint32
	// Walk the coefficients of a from x^0 upward while b steps through
	// b·x^0, b·x^1, ...
	for a != 0 {
		if a&one != 0 {
			p ^= b
		}
		a <<= 1
		b = b>>1 ^ reflectedIEEE&-(b&1)
	}
	return p
}

// xPow2k[k] is x^(2^k) mod P.
var xPow2k = func() (t [64 + 3]uint32) {
	t[0] = one >> 1 // x^1
	for k := 1; k < len(t); k++ {
		t[k] = mulMod(t[k-1], t[k-1])
	}
	return t
}()

// xPow8n returns x^(8·n) mod P, the factor that shifts a CRC past n bytes.
func xPow8n(n uint64) uint32 {
	p := uint32(one)
	// x^(8n) = x^(n·2^3) is the product of x^(2^(k+3)) over the set bits k of n.
	for k := 3; n != 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			p = mulMod(p, xPow2k[k])
		}
	}
	return p
}
