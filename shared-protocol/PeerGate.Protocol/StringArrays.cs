namespace PeerGate.Protocol
{
    /// <summary>
    /// The one way subset code makes a string[] with empty slots. On nanoCLR a slot of <c>new string[n]</c> that was
    /// never assigned is not null: <c>slot == null</c> is false, <c>slot.Length</c> ends the program, and comparing it
    /// with any string (<c>==</c>, <c>!=</c>, <c>string.Equals</c>) ends the interpreter with a segmentation fault. A
    /// slot assigned null is a real null that compares as on .NET, so every slot is assigned here. NanoGuard refuses
    /// <c>new string[n]</c> anywhere else (NG1019).
    /// </summary>
    public static class StringArrays
    {
        public static string[] Create(int length)
        {
            string[] slots = new string[length];
            for (int i = 0; i < slots.Length; i++)
            {
                slots[i] = null;
            }

            return slots;
        }
    }
}
