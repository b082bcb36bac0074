// Package signature signs images in a registry with keys, and verifies
// them, in the formats cosign uses, so that cosign verifies what it
// signs and it verifies what cosign signs.
package signature
