package netlink

import (
	"fmt"

	nl "github.com/mdlayher/netlink"
)

// vethInfoPeer is VETH_INFO_PEER of linux/veth.h (golang.org/x/sys/unix
// lacks it): a struct ifinfomsg and IFLA_* attributes of the peer.
const vethInfoPeer = 1

// Veth is the kind data of a veth pair. The kernel reports none; in an add
// request Peer describes the other end (VETH_INFO_PEER).
type Veth struct {
	// Peer is the other end: its Name, and optionally Address, MTU,
	// TxQueueLen, NumTxQueues, NumRxQueues, Flags, and NetNSFD or NetNSPID
	// to create it in another namespace. Nil lets the kernel name it.
	Peer *Link
	// Unknown holds other attributes, as received.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (*Veth) InfoKind() string { return "veth" }

// String returns "peer NAME".
func (d *Veth) String() string {
	if d.Peer == nil {
		return ""
	}
	return "peer " + d.Peer.Name
}

func (d *Veth) decode(b []byte) error {
	return decodeKindData("veth", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case vethInfoPeer:
			d.Peer = new(Link)
			ad.Do(d.Peer.decode)
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

func (d *Veth) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Peer != nil {
		peerMode := mode
		if mode != linkEncodeAll {
			peerMode = linkEncodeAdd
		}
		ae.Do(vethInfoPeer, func() ([]byte, error) { return d.Peer.encode(peerMode) })
	}
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Veth) validate(v Verb) error {
	if d.Peer == nil {
		return nil
	}
	if d.Peer.Info != nil {
		return invalidf("veth peer with kind data")
	}
	if err := d.Peer.validate(Add, false); err != nil {
		return fmt.Errorf("veth peer: %w", err)
	}
	return nil
}
