import GridcareCore
import NIOCore
import PostgresNIO

/// A day binds as PostgreSQL's `date` (binary: days since 2000-01-01), not as its ISO text: a statement that
/// compares rows with a text parameter casts it to a date on every row it reads (the team's due list cast
/// three parameters per row, a third of its time).
extension SimpleDate: PostgresNonThrowingEncodable {
    public static var psqlType: PostgresDataType { .date }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger(Int32(dayNumber - Self.postgresEpochDayNumber))
    }

    /// 2000-01-01, PostgreSQL's day zero, in `dayNumber`'s count from 1970.
    static let postgresEpochDayNumber = 10_957
}
